using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// A suspension puts an <c>agent</c> entry on the revocation feed, which cannot be withdrawn; the
/// entry ends only the tokens issued at or before it, so an unsuspended agent works again at once
/// while everything issued before the suspension stays dead.
/// </summary>
public sealed class UnsuspendTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Validate_AcceptsTokensIssuedAfterUnsuspension_WhileEarlierOnesStayRevoked()
    {
        string admin = await Broker.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var b = await Broker.RegisterAgentAsync(["read:orders:*"], taskId: "task-b", orchId: "orch-b");
        string t1 = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        string delegated = (await Broker.DelegateOkAsync(t1, b.AgentId, ["read:orders:1"]))["access_token"]!.GetValue<string>();

        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);
        Assert.False(await Broker.IsValidAsync(t1));
        Assert.False(await Broker.IsValidAsync(delegated));

        // iat has whole seconds: a token from the suspension's own second counts as issued before it.
        Broker.Time.Advance(TimeSpan.FromSeconds(1));
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/unsuspend", adminToken: admin);
        string t2 = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();

        Assert.True(await Broker.IsValidAsync(t2));
        Assert.False(await Broker.IsValidAsync(t1));
        Assert.False(await Broker.IsValidAsync(delegated));
        string delegatedAgain = (await Broker.DelegateOkAsync(t2, b.AgentId, ["read:orders:1"]))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(delegatedAgain));

        Broker.Time.Advance(TimeSpan.FromSeconds(1));
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);

        Assert.False(await Broker.IsValidAsync(t2));
        Assert.False(await Broker.IsValidAsync(delegatedAgain));
        Assert.False(await Broker.IsValidAsync(t1));
    }

    [Fact]
    public async Task Delegate_AcceptsTheUnsuspendedAgentAsDelegate_WhenItsSuspensionEntryIsStillLive()
    {
        string admin = await Broker.AdminTokenAsync();
        var (_, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var a = await Broker.RegisterAgentAsync(["read:orders:*"], taskId: "task-a", orchId: "orch-a");
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);
        await AssertProblemCode(await Broker.DelegateAsync(a.Token, agent.AgentId, ["read:orders:1"]), 403, "agent_suspended");

        Broker.Time.Advance(TimeSpan.FromSeconds(1));
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/unsuspend", adminToken: admin);

        string delegated = (await Broker.DelegateOkAsync(a.Token, agent.AgentId, ["read:orders:1"]))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(delegated));
    }

    [Fact]
    public async Task Token_RefusesTheCredentialAgent_WhenAnOperatorRevokedItAtAgentLevel()
    {
        string admin = await Broker.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        string before = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();

        await Broker.RevokeOkAsync(admin, "agent", agent.AgentId);
        Broker.Time.Advance(TimeSpan.FromSeconds(1));

        // The entry no longer ends tokens issued after it: the status must stop new ones.
        Assert.False(await Broker.IsValidAsync(before));
        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), UnauthorizedClientStatus, "unauthorized_client", "agent_revoked");
        Assert.Equal("revoked", (await Broker.GetAgentAsync(agent.KeyId, admin))["status"]!.GetValue<string>());
    }
}
