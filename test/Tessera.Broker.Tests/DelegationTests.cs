using System.Buffers.Text;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using Tessera.Tokens;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

public sealed class DelegationTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Delegate_IssuesNarrowerTokenWithSignedChain_WhenScopeIsCovered()
    {
        var a = await Broker.RegisterAgentAsync(["read:data:*", "write:data:own"], taskId: "task-a", orchId: "orch-a", audience: "orders-api");
        var b = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-b", orchId: "orch-b");

        var body = await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:customer-1"], ttl: 60);

        Assert.Equal(["access_token", "expires_in", "token_type", "delegation_chain", "chain_hash"], body.Select(p => p.Key));
        Assert.Equal(60, body["expires_in"]!.GetValue<int>());
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        string chainHash = body["chain_hash"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{64}$", chainHash);
        var hop = Assert.Single(body["delegation_chain"]!.AsArray())!.AsObject();
        Assert.Equal(["agent", "scope", "delegated_at", "signature", "kid"], hop.Select(p => p.Key));
        Assert.Equal(a.AgentId, hop["agent"]!.GetValue<string>());
        Assert.Equal(["read:data:*", "write:data:own"], hop["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", hop["delegated_at"]!.GetValue<string>());
        Assert.Equal(Kid(a.Token), hop["kid"]!.GetValue<string>());

        string token = body["access_token"]!.GetValue<string>();
        var payload = Jwt.Payload(token);
        Assert.Equal(b.AgentId, payload["sub"]!.GetValue<string>());
        Assert.Equal("read:data:customer-1", payload["scope"]!.GetValue<string>());
        Assert.Equal("orders-api", payload["aud"]!.GetValue<string>());
        Assert.Equal("task-a", payload["task_id"]!.GetValue<string>());
        Assert.Equal("orch-a", payload["orch_id"]!.GetValue<string>());
        Assert.Equal(60, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
        Assert.NotEqual(Jti(a.Token), Jti(token));

        // RFC 8693: the actor is the delegator, with no earlier actor.
        var act = payload["act"]!.AsObject();
        Assert.Equal(a.AgentId, act["sub"]!.GetValue<string>());
        Assert.Null(act["act"]);

        // The chain travels in the token exactly as the response shows it.
        Assert.Equal(body["delegation_chain"]!.ToJsonString(), payload["delegation_chain"]!.ToJsonString());
        Assert.Equal(chainHash, payload["chain_hash"]!.GetValue<string>());
        Assert.Equal(chainHash, DelegationChain.Hash(Records(body["delegation_chain"]!.AsArray())));

        using var jwks = await JwksKeys.FetchAsync(Broker);
        AssertHopsVerify(jwks, payload["delegation_chain"]!.AsArray());

        var validated = await Broker.ValidateAsync(token);
        Assert.True(validated["valid"]!.GetValue<bool>());
        Assert.Equal(b.AgentId, validated["claims"]!["sub"]!.GetValue<string>());
        Assert.Equal(chainHash, validated["claims"]!["chain_hash"]!.GetValue<string>());
        Assert.Equal(body["delegation_chain"]!.ToJsonString(), validated["claims"]!["delegation_chain"]!.ToJsonString());

        // The delegator's own token is untouched.
        Assert.True(await Broker.IsValidAsync(a.Token));
    }

    [Fact]
    public async Task Delegate_DefaultsTo60Seconds_WhenTtlIsOmitted()
    {
        var a = await Broker.RegisterAgentAsync();
        var b = await Broker.RegisterAgentAsync();

        var body = await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]);

        Assert.Equal(60, body["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delegate_RecordsDelegationCreatedAuditEvent()
    {
        var a = await Broker.RegisterAgentAsync(taskId: "task-audit", orchId: "orch-audit");
        var b = await Broker.RegisterAgentAsync();

        var body = await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]);

        var events = await Broker.AuditEventsAsync($"event_type=delegation_created&agent_id={Q(b.AgentId)}");
        var e = Assert.Single(events["events"]!.AsArray())!;
        Assert.Equal("success", e["outcome"]!.GetValue<string>());
        Assert.Equal("task-audit", e["task_id"]!.GetValue<string>());
        Assert.Equal("orch-audit", e["orch_id"]!.GetValue<string>());
        Assert.Equal(1, e["deleg_depth"]!.GetValue<int>());
        Assert.Equal(body["chain_hash"]!.GetValue<string>(), e["deleg_chain_hash"]!.GetValue<string>());
        Assert.StartsWith($"delegation from {a.AgentId} to {b.AgentId} scope=read:data:x depth=1 | jti=", e["detail"]!.GetValue<string>());
        Assert.DoesNotContain(body["access_token"]!.GetValue<string>(), events.ToJsonString());
    }

    [Theory]
    [InlineData("read:data:*")]
    [InlineData("write:data:a")]
    [InlineData("read:files:a")]
    public async Task Delegate_Returns403ScopeViolation_WhenScopeIsWiderThanDelegators(string wider)
    {
        var a = await Broker.RegisterAgentAsync(["read:data:a", "read:data:b"]);
        var b = await Broker.RegisterAgentAsync();

        var response = await Broker.DelegateAsync(a.Token, b.AgentId, ["read:data:a", wider]);

        var problem = await RegistrationTests.AssertProblem(response, 403, "scope_violation", "delegated scope exceeds delegator scope");
        Assert.Equal($"'{wider}' is not covered by the delegating token's scope", problem["hint"]!.GetValue<string>());
        var events = await Broker.AuditEventsAsync($"event_type=delegation_attenuation_violation&agent_id={Q(a.AgentId)}");
        var e = Assert.Single(events["events"]!.AsArray())!;
        Assert.Equal("denied", e["outcome"]!.GetValue<string>());
        Assert.StartsWith($"delegation_attenuation_violation | delegator={a.AgentId} | target={b.AgentId} | requested=", e["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delegate_Returns403ScopeViolation_WhenSecondHopExceedsTheDelegatedTokenButNotTheAgentsGrant()
    {
        var a = await Broker.RegisterAgentAsync(["read:data:*"]);
        var b = await Broker.RegisterAgentAsync(["read:data:*"]);
        var c = await Broker.RegisterAgentAsync();
        string delegated = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();

        // B's own registration allows read:data:*, but the token it delegates from holds only read:data:x.
        var response = await Broker.DelegateAsync(delegated, c.AgentId, ["read:data:y"]);

        await RegistrationTests.AssertProblem(response, 403, "scope_violation", "delegated scope exceeds delegator scope");
    }

    [Fact]
    public async Task Delegate_Returns404NotFound_WhenDelegateIsNotRegistered()
    {
        var a = await Broker.RegisterAgentAsync();

        var response = await Broker.DelegateAsync(a.Token, "spiffe://tessera.test/agent/orch-1/task-1/0123456789abcdef", ["read:data:x"]);

        var problem = await RegistrationTests.AssertProblem(response, 404, "not_found", "delegate agent not found");
        Assert.Equal("delegate_to must name an agent registered with this broker", problem["hint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("not-a-spiffe-id")]
    [InlineData("spiffe://tessera.test/agent/orch-1/task-1")]
    [InlineData("spiffe://tessera.test/agent/orch-1/task-1/xyz")]
    [InlineData("spiffe://tessera.test/workload/orch-1/task-1/0123456789abcdef")]
    [InlineData("https://tessera.test/agent/orch-1/task-1/0123456789abcdef")]
    public async Task Delegate_Returns400_WhenDelegateToIsMalformed(string delegateTo)
    {
        var a = await Broker.RegisterAgentAsync();

        var response = await Broker.DelegateAsync(a.Token, delegateTo, ["read:data:x"]);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "delegate_to must be an agent SPIFFE ID (spiffe://<trust-domain>/agent/<orch>/<task>/<instance>)");
    }

    [Fact]
    public async Task Delegate_Returns400_WhenDelegateToIsMissing()
    {
        var a = await Broker.RegisterAgentAsync();

        var response = await Broker.PostWithBearerAsync("/v1/delegate", a.Token, new { scope = new[] { "read:data:x" } });

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "delegate_to is required");
    }

    [Fact]
    public async Task Delegate_Returns400_WhenScopeIsEmpty()
    {
        var a = await Broker.RegisterAgentAsync();
        var b = await Broker.RegisterAgentAsync();

        var response = await Broker.DelegateAsync(a.Token, b.AgentId, []);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "scope must not be empty");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task Delegate_Returns400InvalidTtl_WhenTtlIsNotPositive(int ttl)
    {
        var a = await Broker.RegisterAgentAsync();
        var b = await Broker.RegisterAgentAsync();

        var response = await Broker.DelegateAsync(a.Token, b.AgentId, ["read:data:x"], ttl);

        await RegistrationTests.AssertProblem(response, 400, "invalid_ttl", "ttl must be a positive number of seconds");
    }

    [Fact]
    public async Task Delegate_Returns403_WhenBearerIsAnAdminToken()
    {
        var b = await Broker.RegisterAgentAsync();
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.DelegateAsync(admin, b.AgentId, ["read:data:x"]);

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "only agent tokens can delegate");
    }

    [Fact]
    public async Task Delegate_Returns401_WhenNoBearer()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/delegate", new { delegate_to = "spiffe://tessera.test/agent/o/t/0123456789abcdef", scope = new[] { "read:data:x" } });

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Fact]
    public async Task Delegate_ChainsTwoHops_WithNestedActAndBothHopsSigned()
    {
        var a = await Broker.RegisterAgentAsync(["read:data:*"], taskId: "task-chain");
        var b = await Broker.RegisterAgentAsync(["read:data:*"]);
        var c = await Broker.RegisterAgentAsync(["read:data:*"]);
        string ab = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x", "read:data:y"]))["access_token"]!.GetValue<string>();

        var body = await Broker.DelegateOkAsync(ab, c.AgentId, ["read:data:x"]);

        string abc = body["access_token"]!.GetValue<string>();
        var payload = Jwt.Payload(abc);
        Assert.Equal(c.AgentId, payload["sub"]!.GetValue<string>());
        Assert.Equal("read:data:x", payload["scope"]!.GetValue<string>());
        Assert.Equal("task-chain", payload["task_id"]!.GetValue<string>());

        // The most recent actor outermost, the root innermost.
        var act = payload["act"]!.AsObject();
        Assert.Equal(b.AgentId, act["sub"]!.GetValue<string>());
        Assert.Equal(a.AgentId, act["act"]!["sub"]!.GetValue<string>());
        Assert.Null(act["act"]!["act"]);

        var chain = body["delegation_chain"]!.AsArray();
        Assert.Equal(2, chain.Count);
        Assert.Equal(a.AgentId, chain[0]!["agent"]!.GetValue<string>());
        Assert.Equal(["read:data:*"], chain[0]!["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(b.AgentId, chain[1]!["agent"]!.GetValue<string>());
        Assert.Equal(["read:data:x", "read:data:y"], chain[1]!["scope"]!.AsArray().Select(s => s!.GetValue<string>()));

        // The first hop is carried over unchanged from the parent token.
        Assert.Equal(Jwt.Payload(ab)["delegation_chain"]![0]!.ToJsonString(), chain[0]!.ToJsonString());
        Assert.Equal(DelegationChain.Hash(Records(chain)), payload["chain_hash"]!.GetValue<string>());
        Assert.NotEqual(Jwt.Payload(ab)["chain_hash"]!.GetValue<string>(), payload["chain_hash"]!.GetValue<string>());
        using var jwks = await JwksKeys.FetchAsync(Broker);
        AssertHopsVerify(jwks, chain);
        Assert.True(await Broker.IsValidAsync(abc));
    }

    [Fact]
    public async Task DelegationHop_FailsVerification_WhenItsScopeIsAltered()
    {
        var a = await Broker.RegisterAgentAsync(["read:data:a"]);
        var b = await Broker.RegisterAgentAsync();
        var hop = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:a"]))["delegation_chain"]![0]!;
        using var jwks = await JwksKeys.FetchAsync(Broker);
        Assert.True(jwks.TryGetKey(hop["kid"]!.GetValue<string>(), out var key));

        byte[] forged = DelegationRecord.SigningInput(hop["agent"]!.GetValue<string>(), ["read:data:*"], hop["delegated_at"]!.GetValue<string>());

        Assert.False(key!.Verify(forged, Base64Url.DecodeFromChars(hop["signature"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Delegate_Returns403AgentRevoked_WhenDelegateWasRevoked()
    {
        var a = await Broker.RegisterAgentAsync();
        var b = await Broker.RegisterAgentAsync();
        await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "agent", b.AgentId);

        var response = await Broker.DelegateAsync(a.Token, b.AgentId, ["read:data:x"]);

        await RegistrationTests.AssertProblem(response, 403, "agent_revoked", "delegate agent has been revoked");
        Assert.True(await Broker.IsValidAsync(a.Token));
    }

    [Fact]
    public async Task Renew_Returns403DelegatedTokenNotRenewable_WhenTokenIsDelegated()
    {
        var a = await Broker.RegisterAgentAsync();
        var b = await Broker.RegisterAgentAsync();
        string delegated = (await Broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();

        var response = await Broker.PostWithBearerAsync("/v1/token/renew", delegated);

        await RegistrationTests.AssertProblem(response, 403, "delegated_token_not_renewable", "delegated tokens cannot be renewed");
        Assert.True(await Broker.IsValidAsync(delegated));
    }

    internal static List<DelegationRecord> Records(JsonArray chain) =>
        chain.Select(h => new DelegationRecord(
            h!["agent"]!.GetValue<string>(),
            h["scope"]!.AsArray().Select(s => s!.GetValue<string>()).ToList(),
            h["delegated_at"]!.GetValue<string>(),
            h["signature"]!.GetValue<string>(),
            h["kid"]!.GetValue<string>())).ToList();

    /// <summary>Each hop verifies offline with the key its kid names in the broker's JWKS.</summary>
    internal static void AssertHopsVerify(JwksKeys jwks, JsonArray chain)
    {
        foreach (var hop in Records(chain))
        {
            Assert.True(jwks.TryGetKey(hop.KeyId, out var key), $"kid {hop.KeyId} is not in the JWKS");
            byte[] input = DelegationRecord.SigningInput(hop.Agent, hop.Scope, hop.DelegatedAt);
            Assert.True(key!.Verify(input, Base64Url.DecodeFromChars(hop.Signature)), $"hop by {hop.Agent} does not verify");
        }
    }
}

/// <summary>Delegation tests that need their own broker (a depth limit or a moving clock).</summary>
public sealed class DelegationLimitTests
{
    [Fact]
    public async Task Delegate_Returns403DepthExceeded_WhenChainIsAtTheConfiguredLimit()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["max_delegation_depth"] = "2" });
        var a = await broker.RegisterAgentAsync();
        var b = await broker.RegisterAgentAsync();
        var c = await broker.RegisterAgentAsync();
        var d = await broker.RegisterAgentAsync();
        string ab = (await broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"]))["access_token"]!.GetValue<string>();
        var abcBody = await broker.DelegateOkAsync(ab, c.AgentId, ["read:data:x"]);
        string abc = abcBody["access_token"]!.GetValue<string>();
        Assert.Equal(2, abcBody["delegation_chain"]!.AsArray().Count);

        var response = await broker.DelegateAsync(abc, d.AgentId, ["read:data:x"]);

        var problem = await RegistrationTests.AssertProblem(response, 403, "delegation_depth_exceeded", "delegation depth limit exceeded");
        Assert.Equal("this token is already 2 delegation(s) deep; the broker allows 2", problem["hint"]!.GetValue<string>());
        var events = await broker.AuditEventsAsync($"event_type=delegation_attenuation_violation&agent_id={Q(c.AgentId)}");
        var e = Assert.Single(events["events"]!.AsArray())!;
        Assert.Equal("denied", e["outcome"]!.GetValue<string>());
        Assert.Equal(2, e["deleg_depth"]!.GetValue<int>());
        Assert.Contains("depth=2 | max=2", e["detail"]!.GetValue<string>());

        // A shorter chain still delegates at the same broker.
        Assert.Equal(200, (int)(await broker.DelegateAsync(ab, d.AgentId, ["read:data:x"])).StatusCode);
    }

    [Fact]
    public async Task Delegate_NeverOutlivesTheParentToken_WhenAskedForMore()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var a = await broker.RegisterAgentAsync(ttl: 100);
        var b = await broker.RegisterAgentAsync();
        long parentExp = Jwt.Payload(a.Token)["exp"]!.GetValue<long>();
        broker.Time.Advance(TimeSpan.FromSeconds(30));

        var body = await broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"], ttl: 3600);

        int expiresIn = body["expires_in"]!.GetValue<int>();
        Assert.True(expiresIn <= 70, $"expires_in {expiresIn} outlives the parent's remaining 70 s");
        Assert.Equal(70, expiresIn);
        string token = body["access_token"]!.GetValue<string>();
        Assert.True(Jwt.Payload(token)["exp"]!.GetValue<long>() <= parentExp);

        // Both die together.
        broker.Time.Advance(TimeSpan.FromSeconds(71));
        Assert.False(await broker.IsValidAsync(token));
        Assert.False(await broker.IsValidAsync(a.Token));
    }

    [Fact]
    public async Task Delegate_HonoursRequestedTtl_WhenShorterThanParentsRemainingLife()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var a = await broker.RegisterAgentAsync(ttl: 300);
        var b = await broker.RegisterAgentAsync();

        var body = await broker.DelegateOkAsync(a.Token, b.AgentId, ["read:data:x"], ttl: 120);

        Assert.Equal(120, body["expires_in"]!.GetValue<int>());
    }
}
