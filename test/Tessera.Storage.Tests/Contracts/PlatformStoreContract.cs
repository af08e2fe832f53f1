using Tessera.Storage.Platforms;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IPlatformStore"/>: platforms, and the grants agents hold on them.</summary>
public abstract class PlatformStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private IPlatformStore Store => Stores.Platforms;

    [Fact]
    public async Task FindAsync_ReturnsEveryField_WhenPlatformWasCreated()
    {
        var created = new PlatformRecord
        {
            PlatformId = "https://billing.example.test",
            Name = "Billing \u00e9\u00e8 \U0001F4B3",
            Hostnames = ["billing.example.test", "billing-eu.example.test"],
            Scopes = ["read:invoices:*", "write:invoices:draft", "x:\"quoted\",comma"],
            RoutesJson = """[{"method":"POST","path":"/v1/invoices","scope":"write:invoices:draft"}]""",
            TokenProfile = "mudraid",
            Version = 1,
            CreatedAtMs = Now - 5,
            UpdatedAtMs = Now - 3,
        };

        Assert.True(await Store.CreateAsync(created, Ct));
        var found = await Store.FindAsync(created.PlatformId, Ct);

        Assert.NotNull(found);
        Assert.Equal(created.PlatformId, found.PlatformId);
        Assert.Equal(created.Name, found.Name);
        Assert.Equal(created.Hostnames, found.Hostnames);
        Assert.Equal(created.Scopes, found.Scopes);
        Assert.Equal(created.RoutesJson, found.RoutesJson);
        Assert.Equal(created.TokenProfile, found.TokenProfile);
        Assert.Equal(created.Version, found.Version);
        Assert.Equal(created.CreatedAtMs, found.CreatedAtMs);
        Assert.Equal(created.UpdatedAtMs, found.UpdatedAtMs);
    }

    [Fact]
    public async Task FindAsync_ReturnsEmptyLists_WhenPlatformHasNoHostnamesOrScopes()
    {
        var created = Platform(PlatformId(1)) with { Hostnames = [], Scopes = [] };

        await Store.CreateAsync(created, Ct);
        var found = await Store.FindAsync(created.PlatformId, Ct);

        Assert.NotNull(found);
        Assert.Empty(found.Hostnames);
        Assert.Empty(found.Scopes);
    }

    [Fact]
    public async Task FindAsync_ReturnsNull_WhenPlatformIsUnknown()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);

        Assert.Null(await Store.FindAsync(PlatformId(2), Ct));
    }

    [Fact]
    public async Task CreateAsync_ReturnsFalseAndKeepsOriginal_WhenIdIsTaken()
    {
        var original = Platform(PlatformId(1));
        Assert.True(await Store.CreateAsync(original, Ct));

        bool second = await Store.CreateAsync(original with { Name = "impostor", Scopes = ["admin:*"], Version = 9 }, Ct);

        Assert.False(second);
        var found = await Store.FindAsync(original.PlatformId, Ct);
        Assert.NotNull(found);
        Assert.Equal(original.Name, found.Name);
        Assert.Equal(original.Scopes, found.Scopes);
        Assert.Equal(1, found.Version);
        Assert.Single(await Store.ListAsync(Ct));
    }

    [Fact]
    public async Task CreateAsync_AcceptsExactlyOne_When20CreatesOfOneIdRace()
    {
        var results = await Concurrently.RunAsync(20, i => Store.CreateAsync(Platform(PlatformId(1)) with { Name = $"racer-{i:D2}" }, Ct));

        int winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i]);
        var found = await Store.FindAsync(PlatformId(1), Ct);
        Assert.NotNull(found);
        Assert.Equal($"racer-{winner:D2}", found.Name);
    }

    [Fact]
    public async Task ListAsync_ReturnsEmpty_WhenNoPlatformExists()
    {
        Assert.Empty(await Store.ListAsync(Ct));
    }

    [Fact]
    public async Task ListAsync_ReturnsOldestFirst_WhenCreationOrderDiffersFromIdOrder()
    {
        await Store.CreateAsync(Platform(PlatformId(1), createdAtMs: Now + 2), Ct);
        await Store.CreateAsync(Platform(PlatformId(2), createdAtMs: Now), Ct);
        await Store.CreateAsync(Platform(PlatformId(3), createdAtMs: Now + 1), Ct);

        var all = await Store.ListAsync(Ct);

        Assert.Equal([PlatformId(2), PlatformId(3), PlatformId(1)], all.Select(p => p.PlatformId));
        Assert.Equal(Now + 1, all[1].CreatedAtMs);
        Assert.Equal(Platform(PlatformId(3)).Hostnames, all[1].Hostnames);
    }

    [Fact]
    public async Task UpdateAsync_ReplacesFieldsAndBumpsVersion_WhenPlatformExists()
    {
        var original = Platform(PlatformId(1));
        await Store.CreateAsync(original, Ct);
        var changed = original with
        {
            Name = "Renamed",
            Hostnames = ["new.example.test"],
            Scopes = ["read:data:*", "delete:data:*"],
            RoutesJson = "[]",
            TokenProfile = "mudraid",
            Version = 42, // ignored: the store owns the version
            CreatedAtMs = Now + Hour, // ignored: creation time never changes
            UpdatedAtMs = Now + Minute,
        };

        Assert.True(await Store.UpdateAsync(changed, Ct));
        var found = await Store.FindAsync(original.PlatformId, Ct);

        Assert.NotNull(found);
        Assert.Equal("Renamed", found.Name);
        Assert.Equal(changed.Hostnames, found.Hostnames);
        Assert.Equal(changed.Scopes, found.Scopes);
        Assert.Equal("[]", found.RoutesJson);
        Assert.Equal("mudraid", found.TokenProfile);
        Assert.Equal(2, found.Version);
        Assert.Equal(original.CreatedAtMs, found.CreatedAtMs);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
    }

    [Fact]
    public async Task UpdateAsync_BumpsVersionOncePerCall_WhenCalledRepeatedly()
    {
        var original = Platform(PlatformId(1));
        await Store.CreateAsync(original, Ct);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(await Store.UpdateAsync(original with { Name = $"v{i}" }, Ct));
        }

        Assert.Equal(4, (await Store.FindAsync(original.PlatformId, Ct))!.Version);
    }

    [Fact]
    public async Task UpdateAsync_LosesNoVersion_When20UpdatesRace()
    {
        var original = Platform(PlatformId(1));
        await Store.CreateAsync(original, Ct);

        var results = await Concurrently.RunAsync(20, i => Store.UpdateAsync(original with { Name = $"v{i}" }, Ct));

        Assert.All(results, Assert.True);
        Assert.Equal(21, (await Store.FindAsync(original.PlatformId, Ct))!.Version);
    }

    [Fact]
    public async Task UpdateAsync_ReturnsFalseAndCreatesNothing_WhenPlatformIsUnknown()
    {
        Assert.False(await Store.UpdateAsync(Platform(PlatformId(1)), Ct));

        Assert.Null(await Store.FindAsync(PlatformId(1), Ct));
        Assert.Empty(await Store.ListAsync(Ct));
    }

    [Fact]
    public async Task DeleteAsync_RemovesOnlyThatPlatform_WhenPlatformExists()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.CreateAsync(Platform(PlatformId(2)), Ct);

        Assert.True(await Store.DeleteAsync(PlatformId(1), Ct));

        Assert.Null(await Store.FindAsync(PlatformId(1), Ct));
        Assert.NotNull(await Store.FindAsync(PlatformId(2), Ct));
        Assert.Equal([PlatformId(2)], (await Store.ListAsync(Ct)).Select(p => p.PlatformId));
    }

    [Fact]
    public async Task DeleteAsync_ReturnsFalse_WhenPlatformIsUnknownOrAlreadyDeleted()
    {
        Assert.False(await Store.DeleteAsync(PlatformId(1), Ct));

        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        Assert.True(await Store.DeleteAsync(PlatformId(1), Ct));
        Assert.False(await Store.DeleteAsync(PlatformId(1), Ct));
    }

    [Fact]
    public async Task DeleteAsync_RemovesEveryGrantOnPlatformAndNoOther_WhenPlatformHasGrants()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.CreateAsync(Platform(PlatformId(2)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(2), PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(2)), Ct);

        Assert.True(await Store.DeleteAsync(PlatformId(1), Ct));

        Assert.Null(await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct));
        Assert.Null(await Store.FindGrantAsync(AgentId(2), PlatformId(1), Ct));
        Assert.Empty(await Store.ListGrantsAsync(AgentId(2), Ct));
        Assert.Equal([PlatformId(2)], (await Store.ListGrantsAsync(AgentId(1), Ct)).Select(g => g.PlatformId));
    }

    [Fact]
    public async Task CreateAsync_StartsWithoutGrants_WhenDeletedPlatformIdIsReused()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);
        await Store.DeleteAsync(PlatformId(1), Ct);

        Assert.True(await Store.CreateAsync(Platform(PlatformId(1)), Ct));

        Assert.Null(await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct));
        Assert.Empty(await Store.ListGrantsAsync(AgentId(1), Ct));
    }

    [Fact]
    public async Task SetGrantAsync_StoresGrant_WhenPlatformExists()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        var grant = Grant(AgentId(1), PlatformId(1), ["read:data:customers", "write:reports:q3"], Now + 7);

        Assert.True(await Store.SetGrantAsync(grant, Ct));
        var found = await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct);

        Assert.NotNull(found);
        Assert.Equal(grant.AgentId, found.AgentId);
        Assert.Equal(grant.PlatformId, found.PlatformId);
        Assert.Equal(grant.Scopes, found.Scopes);
        Assert.Equal(grant.UpdatedAtMs, found.UpdatedAtMs);
    }

    [Fact]
    public async Task SetGrantAsync_StoresEmptyScopes_WhenGrantHasNone()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);

        Assert.True(await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1), []), Ct));

        Assert.Empty((await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct))!.Scopes);
    }

    [Fact]
    public async Task SetGrantAsync_ReplacesScopesAndTime_WhenGrantExists()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1), ["read:data:*", "write:reports:*"], Now), Ct);

        Assert.True(await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1), ["read:data:customers"], Now + Minute), Ct));

        var found = await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct);
        Assert.NotNull(found);
        Assert.Equal(["read:data:customers"], found.Scopes);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
        Assert.Single(await Store.ListGrantsAsync(AgentId(1), Ct));
    }

    [Fact]
    public async Task SetGrantAsync_ReturnsFalseAndStoresNothing_WhenPlatformDoesNotExist()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);

        Assert.False(await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(2)), Ct));

        Assert.Null(await Store.FindGrantAsync(AgentId(1), PlatformId(2), Ct));
        Assert.Empty(await Store.ListGrantsAsync(AgentId(1), Ct));
    }

    [Fact]
    public async Task SetGrantAsync_ReturnsFalse_WhenPlatformWasDeleted()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.DeleteAsync(PlatformId(1), Ct);

        Assert.False(await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct));

        Assert.Empty(await Store.ListGrantsAsync(AgentId(1), Ct));
    }

    [Fact]
    public async Task SetGrantAsync_KeepsOneGrant_When20ReplacementsRace()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);

        var results = await Concurrently.RunAsync(20, i => Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1), [$"read:data:{i:D2}"], Now + i), Ct));

        Assert.All(results, Assert.True);
        var grant = Assert.Single(await Store.ListGrantsAsync(AgentId(1), Ct));
        var scope = Assert.Single(grant.Scopes);
        Assert.Equal(Now + int.Parse(scope["read:data:".Length..]), grant.UpdatedAtMs);
    }

    [Fact]
    public async Task RemoveGrantAsync_RemovesOnlyThatGrant_WhenGrantExists()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.CreateAsync(Platform(PlatformId(2)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(2)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(2), PlatformId(1)), Ct);

        Assert.True(await Store.RemoveGrantAsync(AgentId(1), PlatformId(1), Ct));

        Assert.Null(await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct));
        Assert.NotNull(await Store.FindGrantAsync(AgentId(1), PlatformId(2), Ct));
        Assert.NotNull(await Store.FindGrantAsync(AgentId(2), PlatformId(1), Ct));
        Assert.NotNull(await Store.FindAsync(PlatformId(1), Ct));
    }

    [Fact]
    public async Task RemoveGrantAsync_ReturnsFalse_WhenThereIsNoGrant()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);

        Assert.False(await Store.RemoveGrantAsync(AgentId(2), PlatformId(1), Ct));
        Assert.False(await Store.RemoveGrantAsync(AgentId(1), PlatformId(2), Ct));
        Assert.True(await Store.RemoveGrantAsync(AgentId(1), PlatformId(1), Ct));
        Assert.False(await Store.RemoveGrantAsync(AgentId(1), PlatformId(1), Ct));
    }

    [Fact]
    public async Task FindGrantAsync_ReturnsNull_WhenAgentHasGrantOnlyOnAnotherPlatform()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.CreateAsync(Platform(PlatformId(2)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);

        Assert.Null(await Store.FindGrantAsync(AgentId(1), PlatformId(2), Ct));
        Assert.Null(await Store.FindGrantAsync(AgentId(2), PlatformId(1), Ct));
    }

    [Fact]
    public async Task ListGrantsAsync_ReturnsAgentsGrantsByPlatformId_WhenAgentHasSeveral()
    {
        foreach (int n in new[] { 3, 1, 2, 4 })
        {
            await Store.CreateAsync(Platform(PlatformId(n)), Ct);
        }

        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(3), ["c"]), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1), ["a"]), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(2), ["b"]), Ct);
        await Store.SetGrantAsync(Grant(AgentId(2), PlatformId(4), ["other"]), Ct);

        var grants = await Store.ListGrantsAsync(AgentId(1), Ct);

        Assert.Equal([PlatformId(1), PlatformId(2), PlatformId(3)], grants.Select(g => g.PlatformId));
        Assert.Equal(["a", "b", "c"], grants.Select(g => Assert.Single(g.Scopes)));
        Assert.All(grants, g => Assert.Equal(AgentId(1), g.AgentId));
    }

    [Fact]
    public async Task ListGrantsAsync_ReturnsEmpty_WhenAgentHasNoGrant()
    {
        await Store.CreateAsync(Platform(PlatformId(1)), Ct);
        await Store.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct);

        Assert.Empty(await Store.ListGrantsAsync(AgentId(2), Ct));
    }

    [Fact]
    public async Task FindGrantAsync_SeesGrant_WhenSetThroughAnotherHandle()
    {
        var other = Harness.OpenIndependentHandle().Platforms;
        await other.CreateAsync(Platform(PlatformId(1)), Ct);

        Assert.True(await other.SetGrantAsync(Grant(AgentId(1), PlatformId(1)), Ct));

        Assert.NotNull(await Store.FindAsync(PlatformId(1), Ct));
        Assert.NotNull(await Store.FindGrantAsync(AgentId(1), PlatformId(1), Ct));
    }
}
