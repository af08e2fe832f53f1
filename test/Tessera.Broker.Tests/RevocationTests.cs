using System.Net.Http.Json;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

public sealed class RevocationTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    private static string NewTask() => "task-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Revoke_Returns403InsufficientScope_WhenBearerIsAnAgentToken()
    {
        var a = await Broker.RegisterAgentAsync();

        var response = await Broker.RevokeAsync(a.Token, "agent", a.AgentId);

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: admin:revoke:*");
        Assert.True(await Broker.IsValidAsync(a.Token));
    }

    [Fact]
    public async Task Revoke_Returns401_WhenNoBearer()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/revoke", new { level = "token", target = "abc" });

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Fact]
    public async Task Revoke_Returns400_WhenLevelIsUnknown()
    {
        var response = await Broker.RevokeAsync(await Broker.AdminTokenAsync(), "x", "some-target");

        var problem = await RegistrationTests.AssertProblem(response, 400, "invalid_request", "invalid revocation level: x");
        Assert.Equal("use token, agent, task, chain or app", problem["hint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"target\":\"t\"}")]
    [InlineData("{\"level\":\"token\"}")]
    [InlineData("{\"level\":\"\",\"target\":\"t\"}")]
    [InlineData("{\"level\":\"token\",\"target\":\"\"}")]
    [InlineData("{}")]
    public async Task Revoke_Returns400_WhenLevelOrTargetIsMissing(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());

        var response = await Broker.Client.SendAsync(request);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "level and target are required");
    }

    [Fact]
    public async Task Revoke_IsIdempotent_CountingOneThenZero()
    {
        string admin = await Broker.AdminTokenAsync();
        string task = NewTask();

        var first = await Broker.RevokeOkAsync(admin, "task", task);
        var second = await Broker.RevokeOkAsync(admin, "task", task);

        Assert.Equal(["revoked", "level", "target", "count", "sequence"], first.Select(p => p.Key));
        Assert.True(first["revoked"]!.GetValue<bool>());
        Assert.Equal("task", first["level"]!.GetValue<string>());
        Assert.Equal(task, first["target"]!.GetValue<string>());
        Assert.Equal(1, first["count"]!.GetValue<int>());
        Assert.True(first["sequence"]!.GetValue<long>() > 0);
        Assert.True(second["revoked"]!.GetValue<bool>());
        Assert.Equal(0, second["count"]!.GetValue<int>());
        Assert.Equal(first["sequence"]!.GetValue<long>(), second["sequence"]!.GetValue<long>());
    }

    [Fact]
    public async Task Revoke_IsAudited_WithLevelAndTarget()
    {
        string admin = await Broker.AdminTokenAsync();
        var a = await Broker.RegisterAgentAsync();

        var result = await Broker.RevokeOkAsync(admin, "agent", a.AgentId, "compromised host");

        var events = await Broker.AuditEventsAsync($"event_type=token_revoked&agent_id={Q(a.AgentId)}", admin);
        var e = Assert.Single(events["events"]!.AsArray())!;
        Assert.Equal("success", e["outcome"]!.GetValue<string>());
        Assert.Equal($"revoked at level=agent target={a.AgentId} | seq={result["sequence"]} | new=True | reason=compromised host", e["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task RevokeToken_KillsExactlyThatJti()
    {
        string task = NewTask();
        var a = await Broker.RegisterAgentAsync(taskId: task);
        var sameTask = await Broker.RegisterAgentAsync(taskId: task);
        var c = await Broker.RegisterAgentAsync();
        string delegatedFromA = (await Broker.DelegateOkAsync(a.Token, c.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();

        var result = await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "token", Jti(a.Token));

        Assert.Equal(1, result["count"]!.GetValue<int>());
        Assert.False(await Broker.IsValidAsync(a.Token));
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/renew", a.Token), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(a.Token, c.AgentId, ["read:data:x"]), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/release", a.Token), 403, "insufficient_scope", "token has been revoked");

        // Other tokens of the same task, and tokens already delegated from it, carry other jtis.
        Assert.True(await Broker.IsValidAsync(sameTask.Token));
        Assert.True(await Broker.IsValidAsync(c.Token));
        Assert.True(await Broker.IsValidAsync(delegatedFromA));
    }

    [Fact]
    public async Task RevokeAgent_KillsEveryTokenOfTheAgentOrDelegatedByIt_AndNoOther()
    {
        string task = NewTask();
        var a = await Broker.RegisterAgentAsync(["read:data:*"], taskId: task);
        var x = await Broker.RegisterAgentAsync(["read:data:*"]);
        var b = await Broker.RegisterAgentAsync(["read:data:*"], taskId: task);

        // A holds a renewed token and a token delegated to it; A has also delegated to B.
        var renew = await Broker.PostWithBearerAsync("/v1/token/renew", a.Token);
        string aRenewed = (await renew.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["access_token"]!.GetValue<string>();
        string toA = (await Broker.DelegateOkAsync(x.Token, a.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        string fromA = (await Broker.DelegateOkAsync(aRenewed, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        string admin = await Broker.AdminTokenAsync();

        var result = await Broker.RevokeOkAsync(admin, "agent", a.AgentId);

        Assert.Equal(1, result["count"]!.GetValue<int>());
        Assert.False(await Broker.IsValidAsync(aRenewed));
        Assert.False(await Broker.IsValidAsync(toA));
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/renew", aRenewed), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(aRenewed, b.AgentId, ["read:data:x"]), 403, "insufficient_scope", "token has been revoked");

        // No new token may name the agent afterwards.
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(x.Token, a.AgentId, ["read:data:x"]), 403, "agent_revoked", "delegate agent has been revoked");

        // What A delegated to B dies with A (A is in its chain, issue 17 finding 6); tokens of other
        // subjects that A is not in live on: the delegator's and B's own.
        Assert.False(await Broker.IsValidAsync(fromA));
        Assert.True(await Broker.IsValidAsync(x.Token));
        Assert.True(await Broker.IsValidAsync(b.Token));

        // Registering again with a new launch token makes a new agent, which is not revoked.
        var again = await Broker.RegisterAgentAsync(["read:data:*"], taskId: task);
        Assert.NotEqual(a.AgentId, again.AgentId);
        Assert.True(await Broker.IsValidAsync(again.Token));
        Assert.Equal(200, (int)(await Broker.DelegateAsync(x.Token, again.AgentId, ["read:data:x"])).StatusCode);
    }

    [Fact]
    public async Task RevokeTask_KillsEveryTokenCarryingTheTaskId_IncludingOnesIssuedLater()
    {
        string task = NewTask();
        string otherTask = NewTask();
        var a = await Broker.RegisterAgentAsync(taskId: task);
        var b = await Broker.RegisterAgentAsync(taskId: task);
        var c = await Broker.RegisterAgentAsync(taskId: otherTask);

        // Delegated from A to C: its subject is in the other task, but the token carries A's task_id.
        string aToC = (await Broker.DelegateOkAsync(a.Token, c.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        Assert.Equal(task, Jwt.Payload(aToC)["task_id"]!.GetValue<string>());

        var result = await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "task", task);

        Assert.Equal(1, result["count"]!.GetValue<int>());
        Assert.False(await Broker.IsValidAsync(a.Token));
        Assert.False(await Broker.IsValidAsync(b.Token));
        Assert.False(await Broker.IsValidAsync(aToC));
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/renew", b.Token), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(a.Token, c.AgentId, ["read:data:x"]), 403, "insufficient_scope", "token has been revoked");

        // No new agent may join the task afterwards: its token would carry the revoked task_id.
        await AssertRegistrationRefusedAsync(Broker, task);

        // The other task is untouched, including delegation from it.
        Assert.True(await Broker.IsValidAsync(c.Token));
        var fromC = await Broker.DelegateOkAsync(c.Token, b.AgentId, ["read:data:x"]);
        Assert.True(await Broker.IsValidAsync(fromC["access_token"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RevokeChain_KillsEveryDelegatedTokenRootedAtTheAgent_AtAnyDepth()
    {
        var root = await Broker.RegisterAgentAsync(["read:data:*"]);
        var b = await Broker.RegisterAgentAsync(["read:data:*"]);
        var c = await Broker.RegisterAgentAsync(["read:data:*"]);
        var unrelated = await Broker.RegisterAgentAsync(["read:data:*"]);
        string child = (await Broker.DelegateOkAsync(root.Token, b.AgentId, ["read:data:x", "read:data:y"]))["access_token"]!.GetValue<string>();
        string grandchild = (await Broker.DelegateOkAsync(child, c.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        string otherRoot = (await Broker.DelegateOkAsync(unrelated.Token, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();

        // B delegating from its own token starts a chain rooted at B, not at root.
        string rootedAtB = (await Broker.DelegateOkAsync(b.Token, c.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();

        var result = await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "chain", root.AgentId);

        Assert.Equal(1, result["count"]!.GetValue<int>());
        Assert.False(await Broker.IsValidAsync(child));
        Assert.False(await Broker.IsValidAsync(grandchild));
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(child, c.AgentId, ["read:data:x"]), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/renew", grandchild), 403, "insufficient_scope", "token has been revoked");

        // The root's own token, the delegates' own tokens and other chains live on.
        Assert.True(await Broker.IsValidAsync(root.Token));
        Assert.True(await Broker.IsValidAsync(b.Token));
        Assert.True(await Broker.IsValidAsync(c.Token));
        Assert.True(await Broker.IsValidAsync(unrelated.Token));
        Assert.True(await Broker.IsValidAsync(otherRoot));
        Assert.True(await Broker.IsValidAsync(rootedAtB));

        // The root may not start new chains while the revocation stands; its own token still renews.
        await RegistrationTests.AssertProblem(await Broker.DelegateAsync(root.Token, b.AgentId, ["read:data:x"]), 403, "agent_revoked", "delegation chains rooted at this agent have been revoked");
        var renewedRoot = await Broker.PostWithBearerAsync("/v1/token/renew", root.Token);
        Assert.Equal(200, (int)renewedRoot.StatusCode);
    }

    [Fact]
    public async Task Revoke_Returns400_WhenAgentLevelTargetsAdmin()
    {
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.RevokeAsync(admin, "agent", "admin");

        var problem = await RegistrationTests.AssertProblem(response, 400, "invalid_request", "admin tokens are revoked one by one (level token, target the jti), not as an agent");
        Assert.Equal("revoking every admin token would lock the operator out", problem["hint"]!.GetValue<string>());
        Assert.True(await Broker.IsValidAsync(admin));
    }

    [Fact]
    public async Task RevokeToken_KillsAnAdminToken_AndOnlyThatOne()
    {
        string stolen = await Broker.AdminTokenAsync();
        string admin = await Broker.AdminTokenAsync();

        await Broker.RevokeOkAsync(admin, "token", Jti(stolen));

        Assert.False(await Broker.IsValidAsync(stolen));
        await RegistrationTests.AssertProblem(await Broker.RevokeAsync(stolen, "task", "anything"), 403, "insufficient_scope", "token has been revoked");
        Assert.True(await Broker.IsValidAsync(admin));
    }

    internal static async Task AssertRegistrationRefusedAsync(BrokerFixture broker, string taskId)
    {
        string launch = await broker.LaunchTokenAsync();
        using var key = AgentKey.Create();
        string nonce = await broker.NonceAsync();
        var response = await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), taskId: taskId));
        var problem = await RegistrationTests.AssertProblem(response, 403, "agent_revoked", "task has been revoked");
        Assert.Equal("register under a new task_id", problem["hint"]!.GetValue<string>());
    }
}

/// <summary>Revocation tests that restart the broker or move its clock.</summary>
public sealed class RevocationPersistenceTests
{
    [Fact]
    public async Task Revocations_SurviveARestart_AtEveryLevel()
    {
        var broker = await BrokerFixture.StartAsync();
        var byToken = await broker.RegisterAgentAsync(taskId: "task-t");
        var byAgent = await broker.RegisterAgentAsync(taskId: "task-a");
        var byTask = await broker.RegisterAgentAsync(taskId: "task-k");
        var root = await broker.RegisterAgentAsync(taskId: "task-r");
        var delegate_ = await broker.RegisterAgentAsync(taskId: "task-d");
        var control = await broker.RegisterAgentAsync(taskId: "task-c");
        string chained = (await broker.DelegateOkAsync(root.Token, delegate_.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        string admin = await broker.AdminTokenAsync();
        await broker.RevokeOkAsync(admin, "token", Jti(byToken.Token));
        await broker.RevokeOkAsync(admin, "agent", byAgent.AgentId);
        await broker.RevokeOkAsync(admin, "task", "task-k");
        await broker.RevokeOkAsync(admin, "chain", root.AgentId);

        await using var restarted = await broker.RestartAsync();

        Assert.False(await restarted.IsValidAsync(byToken.Token));
        Assert.False(await restarted.IsValidAsync(byAgent.Token));
        Assert.False(await restarted.IsValidAsync(byTask.Token));
        Assert.False(await restarted.IsValidAsync(chained));
        Assert.True(await restarted.IsValidAsync(root.Token));
        Assert.True(await restarted.IsValidAsync(delegate_.Token));
        Assert.True(await restarted.IsValidAsync(control.Token));
        await RegistrationTests.AssertProblem(await restarted.DelegateAsync(control.Token, byAgent.AgentId, ["read:data:x"]), 403, "agent_revoked", "delegate agent has been revoked");
        await RevocationTests.AssertRegistrationRefusedAsync(restarted, "task-k");
        await RegistrationTests.AssertProblem(await restarted.DelegateAsync(root.Token, control.AgentId, ["read:data:x"]), 403, "agent_revoked", "delegation chains rooted at this agent have been revoked");

        // Still idempotent after the restart: the entry is there, so nothing new is created.
        var again = await restarted.RevokeOkAsync(await restarted.AdminTokenAsync(), "agent", byAgent.AgentId);
        Assert.Equal(0, again["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task RevokedAdminToken_StaysRevoked_WhenAdminTokenTtlExceedsMaxTtl()
    {
        var settings = new Dictionary<string, string?> { ["max_ttl"] = "120", ["default_ttl"] = "60", ["admin_token_ttl"] = "300" };
        var broker = await BrokerFixture.StartAsync(settings);
        string stolen = await broker.AdminTokenAsync();
        string admin = await broker.AdminTokenAsync();
        await broker.RevokeOkAsync(admin, "token", Jti(stolen));
        Assert.False(await broker.IsValidAsync(stolen));

        // Past max_ttl, still inside the admin token's own 300 s.
        broker.Time.Advance(TimeSpan.FromSeconds(150));
        await using var restarted = await broker.RestartAsync(settings);

        Assert.False(await restarted.IsValidAsync(stolen));
        await RegistrationTests.AssertProblem(await restarted.RevokeAsync(stolen, "task", "anything"), 403, "insufficient_scope", "token has been revoked");
    }

    [Fact]
    public async Task RevokedAgent_CannotReceiveADelegation_AfterMaxTtlHasPassed()
    {
        var settings = new Dictionary<string, string?> { ["max_ttl"] = "120", ["default_ttl"] = "60", ["admin_token_ttl"] = "120" };
        var broker = await BrokerFixture.StartAsync(settings);
        var revoked = await broker.RegisterAgentAsync(maxTtl: 120);
        await broker.RevokeOkAsync(await broker.AdminTokenAsync(), "agent", revoked.AgentId);

        broker.Time.Advance(TimeSpan.FromSeconds(121));
        await using var restarted = await broker.RestartAsync(settings);
        var delegator = await restarted.RegisterAgentAsync(maxTtl: 120);

        var response = await restarted.DelegateAsync(delegator.Token, revoked.AgentId, ["read:data:x"]);

        await RegistrationTests.AssertProblem(response, 403, "agent_revoked", "delegate agent has been revoked");
    }
}
