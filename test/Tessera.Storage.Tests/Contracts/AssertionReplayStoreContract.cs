using Tessera.Storage.Clients;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IAssertionReplayStore"/>: each assertion id is usable once while it lives.</summary>
public abstract class AssertionReplayStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private IAssertionReplayStore Store => Stores.AssertionReplays;

    private static string Key(string jti) => "tsr_kid_0123456789abcdef0123456789abcdef " + jti;

    [Fact]
    public async Task TryUseAsync_ReturnsTrue_WhenKeyIsNew()
    {
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Minute, Now, Ct));
    }

    [Fact]
    public async Task TryUseAsync_ReturnsFalse_WhenKeyWasUsedAndHasNotExpired()
    {
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Minute, Now, Ct));

        Assert.False(await Store.TryUseAsync(Key("j1"), Now + Minute, Now + 1, Ct));
        Assert.False(await Store.TryUseAsync(Key("j1"), Now + Hour, Now + Minute - 1, Ct));
    }

    [Fact]
    public async Task TryUseAsync_TreatsKeysIndependently_WhenKeysDiffer()
    {
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Minute, Now, Ct));

        Assert.True(await Store.TryUseAsync(Key("j2"), Now + Minute, Now, Ct));
        Assert.True(await Store.TryUseAsync("tsr_kid_ffffffffffffffffffffffffffffffff j1", Now + Minute, Now, Ct));
        Assert.False(await Store.TryUseAsync(Key("j2"), Now + Minute, Now, Ct));
    }

    [Fact]
    public async Task TryUseAsync_ReturnsTrueExactlyOnce_When50CallersRaceForOneKey()
    {
        var results = await Concurrently.RunAsync(50, _ => Store.TryUseAsync(Key("contended"), Now + Minute, Now, Ct));

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task TryUseAsync_ReturnsTrueExactlyOnce_When50CallersRaceThroughTwoHandles()
    {
        var other = Harness.OpenIndependentHandle().AssertionReplays;

        var results = await Concurrently.RunAsync(50, i => (i % 2 == 0 ? Store : other).TryUseAsync(Key("contended"), Now + Minute, Now, Ct));

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task TryUseAsync_ReturnsTrueForEach_When50DistinctKeysRace()
    {
        var results = await Concurrently.RunAsync(50, i => Store.TryUseAsync(Key($"j{i:D2}"), Now + Minute, Now, Ct));

        Assert.All(results, Assert.True);
    }

    [Fact]
    public async Task TryUseAsync_ReturnsTrueAgainOnce_WhenEarlierUseHasExpired()
    {
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Minute, Now, Ct));

        // Its expiry instant is the first at which the earlier use no longer blocks it.
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + 2 * Minute, Now + Minute, Ct));
        Assert.False(await Store.TryUseAsync(Key("j1"), Now + 2 * Minute, Now + Minute + 1, Ct));
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Hour, Now + 2 * Minute + 1, Ct));
    }

    [Fact]
    public async Task TryUseAsync_ReturnsTrueExactlyOnce_When50CallersRaceForExpiredKey()
    {
        Assert.True(await Store.TryUseAsync(Key("j1"), Now + Minute, Now, Ct));

        var results = await Concurrently.RunAsync(50, _ => Store.TryUseAsync(Key("j1"), Now + Hour, Now + 2 * Minute, Ct));

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task PurgeExpiredAsync_DeletesOnlyExpiredEntries_WhenSomeHaveExpired()
    {
        Assert.True(await Store.TryUseAsync(Key("long-gone"), Now - Hour, Now - 2 * Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("just-gone"), Now - 1, Now - Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("at-cutoff"), Now, Now - Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("still-live"), Now + 1, Now - Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("far-future"), Now + Hour, Now - Hour, Ct));

        int purged = await Store.PurgeExpiredAsync(Now, Ct);

        Assert.Equal(3, purged);
        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));

        // The live entries still block reuse; a check at an earlier "now" proves the purged ones are gone.
        Assert.False(await Store.TryUseAsync(Key("still-live"), Now + Hour, Now, Ct));
        Assert.False(await Store.TryUseAsync(Key("far-future"), Now + Hour, Now, Ct));
        Assert.True(await Store.TryUseAsync(Key("long-gone"), Now + Hour, Now - 3 * Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("just-gone"), Now + Hour, Now - 3 * Hour, Ct));
        Assert.True(await Store.TryUseAsync(Key("at-cutoff"), Now + Hour, Now - 3 * Hour, Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_ReturnsZero_WhenStoreIsEmpty()
    {
        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));
    }
}
