using Tessera.Storage.Agents;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IRegistrationStore"/> together with <see cref="IAgentStore"/>.</summary>
public abstract class RegistrationStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private IRegistrationStore Registrations => Stores.Registrations;

    private IAgentStore Agents => Stores.Agents;

    private ILaunchTokenStore LaunchTokens => Stores.LaunchTokens;

    [Fact]
    public async Task RegisterAsync_ReturnsConsumedAndStoresAgent_WhenSingleUseTokenIsFresh()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);

        var result = await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct);

        Assert.Equal(LaunchTokenConsumeResult.Consumed, result);
        Assert.Equal(1, await Agents.CountAsync(Ct));
        Assert.NotNull(await Agents.FindAsync(AgentId(1), Ct));
        Assert.Equal(1, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ReturnsAlreadyConsumed_WhenSingleUseTokenWasUsed()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);
        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct));

        var second = await Registrations.RegisterAsync(Agent(AgentId(2), token.TokenHash), Now + 1, Ct);

        Assert.Equal(LaunchTokenConsumeResult.AlreadyConsumed, second);
        Assert.Equal(1, await Agents.CountAsync(Ct));
        Assert.Null(await Agents.FindAsync(AgentId(2), Ct));
        Assert.Equal(1, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ConsumesExactlyOnce_When100RegistrationsRaceForSingleUseToken()
    {
        var token = LaunchToken("contended", singleUse: true);
        await LaunchTokens.CreateAsync(token, Ct);

        var results = await Concurrently.RunAsync(100, i => Registrations.RegisterAsync(Agent(AgentId(i), token.TokenHash), Now, Ct));

        Assert.Equal(1, results.Count(r => r == LaunchTokenConsumeResult.Consumed));
        Assert.Equal(99, results.Count(r => r == LaunchTokenConsumeResult.AlreadyConsumed));
        Assert.Equal(1, await Agents.CountAsync(Ct));
        int winner = Array.IndexOf(results, LaunchTokenConsumeResult.Consumed);
        Assert.NotNull(await Agents.FindAsync(AgentId(winner), Ct));
        for (int i = 0; i < 100; i++)
        {
            if (i != winner)
            {
                Assert.Null(await Agents.FindAsync(AgentId(i), Ct));
            }
        }

        Assert.Equal(1, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ConsumesExactlyOnce_When100RegistrationsRaceThroughTwoHandles()
    {
        var other = Harness.OpenIndependentHandle().Registrations;
        var token = LaunchToken("contended", singleUse: true);
        await LaunchTokens.CreateAsync(token, Ct);

        var results = await Concurrently.RunAsync(
            100, i => (i % 2 == 0 ? Registrations : other).RegisterAsync(Agent(AgentId(i), token.TokenHash), Now, Ct));

        Assert.Equal(1, results.Count(r => r == LaunchTokenConsumeResult.Consumed));
        Assert.Equal(99, results.Count(r => r == LaunchTokenConsumeResult.AlreadyConsumed));
        Assert.Equal(1, await Agents.CountAsync(Ct));
        Assert.Equal(1, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ReturnsConsumedEveryTime_WhenTokenIsMultiUse()
    {
        var token = LaunchToken("multi", singleUse: false);
        await LaunchTokens.CreateAsync(token, Ct);

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(Agent(AgentId(i), token.TokenHash), Now + i, Ct));
        }

        Assert.Equal(5, await Agents.CountAsync(Ct));
        Assert.Equal(5, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
        for (int i = 0; i < 5; i++)
        {
            Assert.NotNull(await Agents.FindAsync(AgentId(i), Ct));
        }
    }

    [Fact]
    public async Task RegisterAsync_ConsumesForEveryCaller_When50RegistrationsRaceForMultiUseToken()
    {
        var token = LaunchToken("multi", singleUse: false);
        await LaunchTokens.CreateAsync(token, Ct);

        var results = await Concurrently.RunAsync(50, i => Registrations.RegisterAsync(Agent(AgentId(i), token.TokenHash), Now, Ct));

        Assert.All(results, r => Assert.Equal(LaunchTokenConsumeResult.Consumed, r));
        Assert.Equal(50, await Agents.CountAsync(Ct));
        Assert.Equal(50, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ReturnsExpiredAndStoresNothing_WhenTokenHasExpired()
    {
        var token = LaunchToken("old", expiresAtMs: Now - 1);
        await LaunchTokens.CreateAsync(token, Ct);

        var result = await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct);

        Assert.Equal(LaunchTokenConsumeResult.Expired, result);
        Assert.Equal(0, await Agents.CountAsync(Ct));
        Assert.Null(await Agents.FindAsync(AgentId(1), Ct));
        Assert.Equal(0, (await LaunchTokens.FindAsync(token.TokenHash, Ct))!.UseCount);
    }

    [Fact]
    public async Task RegisterAsync_ReturnsExpired_WhenNowEqualsExpiry()
    {
        var token = LaunchToken("edge", singleUse: false, expiresAtMs: Now);
        await LaunchTokens.CreateAsync(token, Ct);

        Assert.Equal(LaunchTokenConsumeResult.Expired, await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct));
        Assert.Equal(0, await Agents.CountAsync(Ct));
    }

    [Fact]
    public async Task RegisterAsync_ReturnsNotFoundAndStoresNothing_WhenTokenIsUnknown()
    {
        await LaunchTokens.CreateAsync(LaunchToken("known"), Ct);

        var result = await Registrations.RegisterAsync(Agent(AgentId(1), TokenHash("unknown")), Now, Ct);

        Assert.Equal(LaunchTokenConsumeResult.NotFound, result);
        Assert.Equal(0, await Agents.CountAsync(Ct));
        Assert.Null(await Agents.FindAsync(AgentId(1), Ct));
    }

    [Fact]
    public async Task RegisterAsync_LeavesTokenUnused_WhenAgentCannotBeStored()
    {
        // The token use and the agent insert are one transaction: if the insert fails
        // (here: the agent id is taken), the single-use token must not be burnt.
        var first = LaunchToken("first");
        var second = LaunchToken("second", singleUse: true);
        await LaunchTokens.CreateAsync(first, Ct);
        await LaunchTokens.CreateAsync(second, Ct);
        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(Agent(AgentId(1), first.TokenHash), Now, Ct));

        await Assert.ThrowsAnyAsync<Exception>(() => Registrations.RegisterAsync(Agent(AgentId(1), second.TokenHash), Now, Ct));

        Assert.Equal(0, (await LaunchTokens.FindAsync(second.TokenHash, Ct))!.UseCount);
        Assert.Equal(first.TokenHash, (await Agents.FindAsync(AgentId(1), Ct))!.LaunchTokenHash);
        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(Agent(AgentId(2), second.TokenHash), Now, Ct));
        Assert.Equal(2, await Agents.CountAsync(Ct));
    }

    [Fact]
    public async Task FindAsync_ReturnsEveryField_WhenAgentWasRegistered()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);
        byte[] key = [.. Enumerable.Range(0, 32).Select(i => (byte)(255 - (i * 7)))];
        var agent = new AgentRecord
        {
            AgentId = "spiffe://tessera.test/agent/orch-9/task-\u00e9/abc",
            OrchId = "orch-9",
            TaskId = "task-\u00e9",
            AgentName = "data-analyst",
            PublicKey = key,
            LaunchTokenHash = token.TokenHash,
            Scope = ["read:data:customers", "write:reports:q3"],
            Audience = ["https://a.example.test", "https://b.example.test"],
            MaxTtl = 1800,
            CreatedAtMs = Now + 123,
        };

        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(agent, Now, Ct));
        var found = await Agents.FindAsync(agent.AgentId, Ct);

        Assert.NotNull(found);
        Assert.Equal(agent.AgentId, found.AgentId);
        Assert.Equal(agent.OrchId, found.OrchId);
        Assert.Equal(agent.TaskId, found.TaskId);
        Assert.Equal(agent.AgentName, found.AgentName);
        Assert.Equal(key, found.PublicKey);
        Assert.Equal(32, found.PublicKey.Length);
        Assert.Equal(agent.LaunchTokenHash, found.LaunchTokenHash);
        Assert.Equal(agent.Scope, found.Scope);
        Assert.Equal(agent.Audience, found.Audience);
        Assert.Equal(agent.MaxTtl, found.MaxTtl);
        Assert.Equal(agent.CreatedAtMs, found.CreatedAtMs);
    }

    [Fact]
    public async Task FindAsync_ReturnsEmptyLists_WhenAgentHasNoScopeOrAudience()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);
        var agent = Agent(AgentId(1), token.TokenHash) with { Scope = [], Audience = [] };

        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Registrations.RegisterAsync(agent, Now, Ct));
        var found = await Agents.FindAsync(agent.AgentId, Ct);

        Assert.NotNull(found);
        Assert.Empty(found.Scope);
        Assert.Empty(found.Audience);
    }

    [Fact]
    public async Task FindAsync_ReturnsNull_WhenAgentIsUnknown()
    {
        Assert.Null(await Agents.FindAsync(AgentId(404), Ct));
    }

    [Fact]
    public async Task CountAsync_ReturnsZero_WhenNoAgentRegistered()
    {
        Assert.Equal(0, await Agents.CountAsync(Ct));
    }

    [Fact]
    public async Task TransitionAsync_SetsStatus_OnlyFromTheGivenStatuses()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);
        await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct);

        Assert.True(await Agents.TransitionAsync(AgentId(1), ["active"], "suspended", Ct));
        Assert.False(await Agents.TransitionAsync(AgentId(1), ["active"], "suspended", Ct));
        Assert.Equal("suspended", (await Agents.FindAsync(AgentId(1), Ct))!.Status);
        Assert.True(await Agents.TransitionAsync(AgentId(1), ["active", "suspended"], "revoked", Ct));
        Assert.False(await Agents.TransitionAsync(AgentId(1), ["suspended"], "active", Ct));
        Assert.False(await Agents.TransitionAsync(AgentId(1), [], "active", Ct));
        Assert.False(await Agents.TransitionAsync(AgentId(2), ["active"], "revoked", Ct));
        Assert.Equal("revoked", (await Agents.FindAsync(AgentId(1), Ct))!.Status);
    }

    [Fact]
    public async Task TransitionAsync_LetsOneOfTwentyRacingTransitionsWin()
    {
        var token = LaunchToken("t");
        await LaunchTokens.CreateAsync(token, Ct);
        await Registrations.RegisterAsync(Agent(AgentId(1), token.TokenHash), Now, Ct);

        // Ten suspend and ten revoke, all from "active": exactly one finds the status it started from.
        var racing = Enumerable.Range(0, 20)
            .Select(i => Task.Run(() => Agents.TransitionAsync(AgentId(1), ["active"], i % 2 == 0 ? "suspended" : "revoked", Ct)))
            .ToArray();
        bool[] results = await Task.WhenAll(racing);

        Assert.Equal(1, results.Count(r => r));
        int winner = Array.IndexOf(results, true);
        Assert.Equal(winner % 2 == 0 ? "suspended" : "revoked", (await Agents.FindAsync(AgentId(1), Ct))!.Status);
    }
}
