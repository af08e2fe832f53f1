using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// Issue 17, finding 6 (broker half): revoking or suspending an agent ends every token delegated
/// from it, wherever the agent sits in the chain, at validate and at every bearer check, while
/// unrelated agents' tokens stay valid.
/// </summary>
public sealed class DelegatedRevocationTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Validate_RefusesTheDelegatedToken_WhenTheDelegatorIsRevoked()
    {
        string admin = await Broker.AdminTokenAsync();
        var a = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-a", orchId: "orch-a");
        var b = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-b", orchId: "orch-b");
        var bystander = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-c", orchId: "orch-c");
        string delegated = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(delegated));

        await Broker.RevokeOkAsync(admin, "agent", a.AgentId);

        Assert.False(await Broker.IsValidAsync(delegated));
        Assert.False(await Broker.IsValidAsync(a.Token));
        Assert.True(await Broker.IsValidAsync(b.Token));
        Assert.True(await Broker.IsValidAsync(bystander.Token));

        // Every bearer check, not only validate: the delegate cannot pass the dead token on.
        var onward = await Broker.DelegateAsync(delegated, bystander.AgentId, ["read:data:x"]);
        var problem = await AssertProblemCode(onward, 403, "insufficient_scope");
        Assert.Equal("token has been revoked", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validate_RefusesTheDelegatedToken_WhenAnAgentInTheMiddleOfTheChainIsRevoked()
    {
        string admin = await Broker.AdminTokenAsync();
        var a = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-a", orchId: "orch-a");
        var b = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-b", orchId: "orch-b");
        var c = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-c", orchId: "orch-c");
        string toB = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:*"]))["access_token"]!.GetValue<string>();
        string toC = (await Broker.DelegateOkAsync(toB, c.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(toC));

        await Broker.RevokeOkAsync(admin, "agent", b.AgentId);

        Assert.False(await Broker.IsValidAsync(toC));
        Assert.True(await Broker.IsValidAsync(a.Token));
        Assert.True(await Broker.IsValidAsync(c.Token));
    }

    [Fact]
    public async Task Validate_RefusesTheAgentsAndItsDelegatedTokens_WhenAnOperatorSuspendsTheAgent()
    {
        string admin = await Broker.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var (_, bystander) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var b = await Broker.RegisterAgentAsync(["read:orders:*"], taskId: "task-b", orchId: "orch-b");
        string own = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        string bystanderToken = (await Broker.ExchangeOkAsync(bystander, null))["access_token"]!.GetValue<string>();
        string delegated = (await Broker.DelegateOkAsync(own, b.AgentId, ["read:orders:1"]))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(delegated));

        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);

        Assert.False(await Broker.IsValidAsync(own));
        Assert.False(await Broker.IsValidAsync(delegated));
        Assert.True(await Broker.IsValidAsync(bystanderToken));
        Assert.True(await Broker.IsValidAsync(b.Token));
        using var feed = await Broker.FeedClientAsync(admin);
        var entries = JsonNode.Parse(await feed.GetStringAsync("/v1/revocations?since=0&limit=1000"))!["entries"]!.AsArray();
        Assert.Contains(entries, e => e!["level"]!.GetValue<string>() == "agent" && e["target"]!.GetValue<string>() == agent.AgentId);
    }

    [Fact]
    public async Task Validate_RefusesTheAgentsAndItsDelegatedTokens_WhenVerifierReportsSuspendTheAgent()
    {
        string admin = await Broker.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var (_, bystander) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var b = await Broker.RegisterAgentAsync(["read:orders:*"], taskId: "task-b", orchId: "orch-b");
        string own = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        string bystanderToken = (await Broker.ExchangeOkAsync(bystander, null))["access_token"]!.GetValue<string>();
        string delegated = (await Broker.DelegateOkAsync(own, b.AgentId, ["read:orders:1"]))["access_token"]!.GetValue<string>();

        var report = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 50))), 202);

        Assert.Equal([agent.AgentId], report["suspended"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.False(await Broker.IsValidAsync(own));
        Assert.False(await Broker.IsValidAsync(delegated));
        Assert.True(await Broker.IsValidAsync(bystanderToken));
    }
}
