using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="ILaunchTokenStore"/>.</summary>
public abstract class LaunchTokenStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private ILaunchTokenStore Store => Stores.LaunchTokens;

    [Fact]
    public async Task FindAsync_ReturnsEveryField_WhenTokenWasCreated()
    {
        var created = new LaunchTokenRecord
        {
            TokenHash = TokenHash("round-trip"),
            AgentName = "data-analyst \u00e9\u00e8 \U0001F916",
            AllowedScope = ["read:data:*", "write:reports:q3", "x:\"quoted\",comma"],
            AllowedAudience = ["https://a.example.test", "https://b.example.test"],
            MaxTtl = 3600,
            SingleUse = false,
            CreatedBy = "admin:alice",
            CreatedAtMs = Now - 5,
            ExpiresAtMs = Now + Hour + 7,
        };

        await Store.CreateAsync(created, Ct);
        var found = await Store.FindAsync(created.TokenHash, Ct);

        Assert.NotNull(found);
        Assert.Equal(created.TokenHash, found.TokenHash);
        Assert.Equal(created.AgentName, found.AgentName);
        Assert.Equal(created.AllowedScope, found.AllowedScope);
        Assert.Equal(created.AllowedAudience, found.AllowedAudience);
        Assert.Equal(created.MaxTtl, found.MaxTtl);
        Assert.Equal(created.SingleUse, found.SingleUse);
        Assert.Equal(created.CreatedBy, found.CreatedBy);
        Assert.Equal(created.CreatedAtMs, found.CreatedAtMs);
        Assert.Equal(created.ExpiresAtMs, found.ExpiresAtMs);
        Assert.Equal(0, found.UseCount);
    }

    [Fact]
    public async Task FindAsync_ReturnsSingleUseTrueAndEmptyAudience_WhenCreatedSo()
    {
        var created = LaunchToken("single") with { SingleUse = true, AllowedAudience = [] };

        await Store.CreateAsync(created, Ct);
        var found = await Store.FindAsync(created.TokenHash, Ct);

        Assert.NotNull(found);
        Assert.True(found.SingleUse);
        Assert.Empty(found.AllowedAudience);
        Assert.Equal(created.AllowedScope, found.AllowedScope);
    }

    [Fact]
    public async Task FindAsync_ReturnsNull_WhenTokenIsUnknown()
    {
        await Store.CreateAsync(LaunchToken("known"), Ct);

        Assert.Null(await Store.FindAsync(TokenHash("unknown"), Ct));
    }

    [Fact]
    public async Task FindAsync_ReturnsToken_WhenTokenHasExpired()
    {
        var expired = LaunchToken("expired", expiresAtMs: Now - Hour);
        await Store.CreateAsync(expired, Ct);

        var found = await Store.FindAsync(expired.TokenHash, Ct);

        Assert.NotNull(found);
        Assert.Equal(expired.ExpiresAtMs, found.ExpiresAtMs);
    }

    [Fact]
    public async Task CreateAsync_Throws_WhenTokenHashAlreadyExists()
    {
        var original = LaunchToken("dup");
        await Store.CreateAsync(original, Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => Store.CreateAsync(original with { AgentName = "impostor", MaxTtl = 1 }, Ct));

        var found = await Store.FindAsync(original.TokenHash, Ct);
        Assert.NotNull(found);
        Assert.Equal("agent-dup", found.AgentName);
        Assert.Equal(900, found.MaxTtl);
    }

    [Fact]
    public async Task PurgeExpiredAsync_DeletesOnlyExpiredTokens_WhenSomeHaveExpired()
    {
        var longGone = LaunchToken("long-gone", expiresAtMs: Now - Hour);
        var justGone = LaunchToken("just-gone", expiresAtMs: Now - 1);
        var atCutoff = LaunchToken("at-cutoff", expiresAtMs: Now);
        var stillValid = LaunchToken("still-valid", expiresAtMs: Now + 1);
        var farFuture = LaunchToken("far-future", expiresAtMs: Now + Hour);
        foreach (var token in new[] { longGone, justGone, atCutoff, stillValid, farFuture })
        {
            await Store.CreateAsync(token, Ct);
        }

        int purged = await Store.PurgeExpiredAsync(Now, Ct);

        // A token whose expiry equals the cutoff is already unusable (registration needs expiry > now).
        Assert.Equal(3, purged);
        Assert.Null(await Store.FindAsync(longGone.TokenHash, Ct));
        Assert.Null(await Store.FindAsync(justGone.TokenHash, Ct));
        Assert.Null(await Store.FindAsync(atCutoff.TokenHash, Ct));
        Assert.NotNull(await Store.FindAsync(stillValid.TokenHash, Ct));
        Assert.NotNull(await Store.FindAsync(farFuture.TokenHash, Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_ReturnsZero_WhenNothingHasExpired()
    {
        await Store.CreateAsync(LaunchToken("a"), Ct);
        await Store.CreateAsync(LaunchToken("b"), Ct);

        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));
        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));
        Assert.NotNull(await Store.FindAsync(TokenHash("a"), Ct));
        Assert.NotNull(await Store.FindAsync(TokenHash("b"), Ct));
    }

    [Fact]
    public async Task FindAsync_SeesToken_WhenCreatedThroughAnotherHandle()
    {
        var other = Harness.OpenIndependentHandle();
        var created = LaunchToken("cross-handle");

        await other.LaunchTokens.CreateAsync(created, Ct);

        var found = await Store.FindAsync(created.TokenHash, Ct);
        Assert.NotNull(found);
        Assert.Equal(created.AgentName, found.AgentName);
    }
}
