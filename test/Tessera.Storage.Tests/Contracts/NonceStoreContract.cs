using Tessera.Storage.Nonces;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="INonceStore"/>.</summary>
public abstract class NonceStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private INonceStore Store => Stores.Nonces;

    [Fact]
    public async Task ConsumeAsync_ReturnsConsumed_WhenNonceIsFresh()
    {
        await Store.CreateAsync("n-1", Now + Minute, Ct);

        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsAlreadyConsumed_WhenNonceWasConsumedBefore()
    {
        await Store.CreateAsync("n-1", Now + Minute, Ct);
        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now, Ct));

        Assert.Equal(NonceConsumeResult.AlreadyConsumed, await Store.ConsumeAsync("n-1", Now + 1, Ct));
        Assert.Equal(NonceConsumeResult.AlreadyConsumed, await Store.ConsumeAsync("n-1", Now + 2, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsNotFoundOrExpired_WhenNonceIsUnknown()
    {
        await Store.CreateAsync("n-1", Now + Minute, Ct);

        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("n-2", Now, Ct));
        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsNotFoundOrExpired_WhenNonceHasExpired()
    {
        await Store.CreateAsync("n-1", Now - 1, Ct);

        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("n-1", Now, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsNotFoundOrExpired_WhenNowEqualsExpiry()
    {
        await Store.CreateAsync("n-1", Now, Ct);

        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("n-1", Now, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_NeverReturnsConsumed_WhenExpiredNonceWasPresentedBefore()
    {
        // An expired presentation uses the nonce up: even a caller whose clock is behind
        // (for which the nonce still looks live) must not get it afterwards.
        await Store.CreateAsync("n-1", Now, Ct);
        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("n-1", Now + Minute, Ct));

        Assert.NotEqual(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now - Minute, Ct));
        Assert.NotEqual(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now + Minute, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ConsumesOnlyThatNonce_WhenSeveralExist()
    {
        for (int i = 0; i < 5; i++)
        {
            await Store.CreateAsync($"n-{i}", Now + Minute, Ct);
        }

        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-2", Now, Ct));

        for (int i = 0; i < 5; i++)
        {
            var expected = i == 2 ? NonceConsumeResult.AlreadyConsumed : NonceConsumeResult.Consumed;
            Assert.Equal(expected, await Store.ConsumeAsync($"n-{i}", Now, Ct));
        }
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsConsumedExactlyOnce_When100CallersRace()
    {
        await Store.CreateAsync("contended", Now + Minute, Ct);

        var results = await Concurrently.RunAsync(100, _ => Store.ConsumeAsync("contended", Now, Ct));

        Assert.Equal(1, results.Count(r => r == NonceConsumeResult.Consumed));
        Assert.Equal(99, results.Count(r => r == NonceConsumeResult.AlreadyConsumed));
        Assert.Equal(NonceConsumeResult.AlreadyConsumed, await Store.ConsumeAsync("contended", Now, Ct));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsConsumedExactlyOnce_When100CallersRaceThroughTwoHandles()
    {
        var other = Harness.OpenIndependentHandle().Nonces;
        await Store.CreateAsync("contended", Now + Minute, Ct);

        var results = await Concurrently.RunAsync(100, i => (i % 2 == 0 ? Store : other).ConsumeAsync("contended", Now, Ct));

        Assert.Equal(1, results.Count(r => r == NonceConsumeResult.Consumed));
        Assert.Equal(99, results.Count(r => r == NonceConsumeResult.AlreadyConsumed));
    }

    [Fact]
    public async Task ConsumeAsync_ReturnsConsumedForEach_When100DistinctNoncesAreConsumedConcurrently()
    {
        for (int i = 0; i < 100; i++)
        {
            await Store.CreateAsync($"n-{i}", Now + Minute, Ct);
        }

        var results = await Concurrently.RunAsync(100, i => Store.ConsumeAsync($"n-{i}", Now, Ct));

        Assert.All(results, r => Assert.Equal(NonceConsumeResult.Consumed, r));
    }

    [Fact]
    public async Task CreateAsync_Throws_WhenNonceAlreadyExists()
    {
        await Store.CreateAsync("n-1", Now + Minute, Ct);
        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("n-1", Now, Ct));

        // Re-creating a used nonce must not revive it.
        await Assert.ThrowsAnyAsync<Exception>(() => Store.CreateAsync("n-1", Now + Hour, Ct));

        Assert.Equal(NonceConsumeResult.AlreadyConsumed, await Store.ConsumeAsync("n-1", Now, Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_DeletesOnlyExpiredNonces_WhenSomeHaveExpired()
    {
        await Store.CreateAsync("gone", Now - Minute, Ct);
        await Store.CreateAsync("at-cutoff", Now, Ct);
        await Store.CreateAsync("live", Now + Minute, Ct);
        await Store.CreateAsync("live-consumed", Now + Minute, Ct);
        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("live-consumed", Now - 2 * Minute, Ct));

        Assert.Equal(2, await Store.PurgeExpiredAsync(Now, Ct));

        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));
        // The consumed but unexpired nonce is kept, so a replay is still recognised.
        Assert.Equal(NonceConsumeResult.AlreadyConsumed, await Store.ConsumeAsync("live-consumed", Now, Ct));
        Assert.Equal(NonceConsumeResult.Consumed, await Store.ConsumeAsync("live", Now, Ct));
        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("gone", Now - 2 * Minute, Ct));
        Assert.Equal(NonceConsumeResult.NotFoundOrExpired, await Store.ConsumeAsync("at-cutoff", Now - 2 * Minute, Ct));
    }
}
