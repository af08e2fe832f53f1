using Tessera.Storage.Agents;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IAgentInventory"/>: both kinds of agent, one query per page.</summary>
public abstract class AgentInventoryContract(IStorageHarness harness) : StoreContract(harness)
{
    private IAgentInventory Inventory => Stores.Inventory;

    [Fact]
    public async Task ListAsync_ReturnsBothKindsInCreationOrder_WhenNoFilter()
    {
        await SeedMixedAsync();

        var page = await Inventory.ListAsync(new AgentInventoryQuery(), Ct);

        Assert.Equal(6, page.Total);
        Assert.Null(page.Next);
        Assert.Equal(["reg-a", "agent-cred-a", "reg-b", "agent-cred_b", "reg-c", "agent-cred-c"], page.Agents.Select(a => a.Name));
        var credential = page.Agents.Single(a => a.Name == "agent-cred-a");
        Assert.Equal(AgentInventoryKinds.Credential, credential.Kind);
        Assert.Equal(Client("cred-a").ClientId, credential.Credential!.ClientId);
        Assert.Equal(PlatformId(1), Assert.Single(credential.Grants).PlatformId);
        Assert.Equal(["read:data:*"], credential.Grants[0].Scopes);
        var registered = page.Agents[0];
        Assert.Equal(AgentInventoryKinds.Registered, registered.Kind);
        Assert.Null(registered.Credential);
        Assert.Equal(("app-1", "orch-a", "task-a"), (registered.AppId, registered.OrchId, registered.TaskId));
    }

    [Theory]
    [InlineData("kind registered", "reg-a,reg-b,reg-c")]
    [InlineData("kind credential", "agent-cred-a,agent-cred_b,agent-cred-c")]
    [InlineData("status suspended", "reg-b,agent-cred-c")]
    [InlineData("app app-1", "reg-a,reg-b")]
    [InlineData("orch orch-a", "reg-a")]
    [InlineData("task task-c", "reg-c")]
    [InlineData("search CRED", "agent-cred-a,agent-cred_b,agent-cred-c")]
    [InlineData("search cred_", "agent-cred_b")]
    [InlineData("search %", "")]
    [InlineData("search /REG-", "reg-a,reg-b,reg-c")]
    [InlineData("search tsr_kid_", "agent-cred-a,agent-cred_b,agent-cred-c")]
    public async Task ListAsync_ReturnsExactlyTheMatchingAgents_WhenFiltered(string filter, string expected)
    {
        await SeedMixedAsync();
        string[] parts = filter.Split(' ');
        var query = parts[0] switch
        {
            "kind" => new AgentInventoryQuery { Kind = parts[1] },
            "status" => new AgentInventoryQuery { Status = parts[1] },
            "app" => new AgentInventoryQuery { AppId = parts[1] },
            "orch" => new AgentInventoryQuery { OrchId = parts[1] },
            "task" => new AgentInventoryQuery { TaskId = parts[1] },
            _ => new AgentInventoryQuery { Search = parts[1] },
        };

        var page = await Inventory.ListAsync(query, Ct);

        Assert.Equal(expected, string.Join(',', page.Agents.Select(a => a.Name)));
        Assert.Equal(page.Agents.Count, page.Total);
    }

    [Fact]
    public async Task ListAsync_VisitsEveryAgentExactlyOnce_WhenPagingThrough1050AgentsOfBothKinds()
    {
        var token = LaunchToken("many", singleUse: false);
        await Stores.LaunchTokens.CreateAsync(token, Ct);
        var expected = new List<string>();
        for (int i = 0; i < 525; i++)
        {
            // Ten agents share each creation time, so the id breaks the ties.
            long created = Now + (i / 10);
            var agent = Agent(AgentId(i), token.TokenHash) with { CreatedAtMs = created };
            Assert.Equal(LaunchTokenConsumeResult.Consumed, await Stores.Registrations.RegisterAsync(agent, Now, Ct));
            Assert.True(await Stores.Clients.CreateAsync(Client($"bulk-{i:D4}", createdAtMs: created), Ct));
            expected.Add(agent.AgentId);
            expected.Add(Client($"bulk-{i:D4}").EntityId);
        }

        var seen = new List<string>();
        var query = new AgentInventoryQuery { Limit = 100 };
        int pages = 0;
        while (true)
        {
            var page = await Inventory.ListAsync(query, Ct);
            pages++;
            Assert.Equal(1050, page.Total);
            Assert.True(page.Agents.Count <= 100);
            seen.AddRange(page.Agents.Select(a => a.AgentId));
            if (page.Next is not { } next)
            {
                break;
            }

            query = query with { After = next };
        }

        Assert.Equal(11, pages);
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task ListAsync_AppliesFiltersAcrossPages_WhenPaging()
    {
        await SeedMixedAsync();

        var first = await Inventory.ListAsync(new AgentInventoryQuery { Status = "active", Limit = 2 }, Ct);
        var second = await Inventory.ListAsync(new AgentInventoryQuery { Status = "active", Limit = 2, After = first.Next }, Ct);

        Assert.Equal(["reg-a", "agent-cred-a"], first.Agents.Select(a => a.Name));
        Assert.Equal(["agent-cred_b", "reg-c"], second.Agents.Select(a => a.Name));
        Assert.Equal(4, second.Total);
        Assert.Null(second.Next);
    }

    /// <summary>Three registered agents and three credential agents, interleaved in time.</summary>
    [Fact]
    public async Task RecordSeenAsync_KeepsTheLatestTime_ForBothKinds()
    {
        await SeedMixedAsync();
        string registered = "spiffe://tessera.test/agent/orch-a/task-a/reg-a";
        string credential = Client("cred-a").EntityId;

        Assert.All((await Inventory.ListAsync(new AgentInventoryQuery(), Ct)).Agents, a => Assert.Null(a.LastSeenAtMs));

        await Inventory.RecordSeenAsync([new AgentSeen(registered, Now + 100), new AgentSeen(credential, Now + 200), new AgentSeen("spiffe://tessera.test/agent/none", Now)], Ct);
        await Inventory.RecordSeenAsync([new AgentSeen(registered, Now + 50)], Ct);
        await Inventory.RecordSeenAsync([], Ct);

        var agents = (await Inventory.ListAsync(new AgentInventoryQuery(), Ct)).Agents;
        Assert.Equal(Now + 100, agents.Single(a => a.AgentId == registered).LastSeenAtMs);
        Assert.Equal(Now + 200, agents.Single(a => a.AgentId == credential).LastSeenAtMs);
        Assert.Equal(4, agents.Count(a => a.LastSeenAtMs is null));
    }

    private async Task SeedMixedAsync()
    {
        var token = LaunchToken("mixed", singleUse: false);
        await Stores.LaunchTokens.CreateAsync(token, Ct);
        await RegisterAsync(token.TokenHash, "reg-a", "orch-a", "task-a", "app-1", Now);
        Assert.True(await Stores.Clients.CreateAsync(Client("cred-a", createdAtMs: Now + 1), Ct));
        await RegisterAsync(token.TokenHash, "reg-b", "orch-b", "task-b", "app-1", Now + 2);
        Assert.True(await Stores.Clients.CreateAsync(Client("cred_b", createdAtMs: Now + 3), Ct));
        await RegisterAsync(token.TokenHash, "reg-c", "orch-c", "task-c", "", Now + 4);
        Assert.True(await Stores.Clients.CreateAsync(Client("cred-c", status: "suspended", createdAtMs: Now + 5), Ct));
        Assert.True(await Stores.Agents.SetStatusAsync("spiffe://tessera.test/agent/orch-b/task-b/reg-b", "suspended", Ct));
        Assert.True(await Stores.Platforms.CreateAsync(Platform(PlatformId(1)), Ct));
        Assert.True(await Stores.Platforms.SetGrantAsync(Grant(Client("cred-a").EntityId, PlatformId(1)), Ct));
    }

    private async Task RegisterAsync(string tokenHash, string name, string orch, string task, string app, long createdAtMs)
    {
        var agent = Agent($"spiffe://tessera.test/agent/{orch}/{task}/{name}", tokenHash) with
        {
            AgentName = name, OrchId = orch, TaskId = task, AppId = app, CreatedAtMs = createdAtMs,
        };
        Assert.Equal(LaunchTokenConsumeResult.Consumed, await Stores.Registrations.RegisterAsync(agent, Now, Ct));
    }
}
