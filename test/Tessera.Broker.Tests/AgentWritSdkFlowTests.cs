using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// The documented flows of the published AgentWrit Python SDK (agentwrit 0.3.0), reproduced call
/// for call by <see cref="SdkApp"/> and <see cref="SdkAgent"/> against a real broker: the same
/// requests in the same order with the same bodies and headers, reading only the fields the SDK
/// reads, the way it reads them (a required key that is missing fails like Python's KeyError).
/// </summary>
public sealed class AgentWritSdkFlowTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private const string Invalid = "token is invalid or expired";

    private BrokerFixture Broker => shared.Broker;

    private static async Task<(SdkApp Sdk, TestApp App)> AppAsync(BrokerFixture broker, string[]? ceiling = null, int? tokenTtl = null)
    {
        var app = await broker.CreateAppOkAsync(scopes: ceiling ?? ["read:data:*", "write:data:*"], tokenTtl: tokenTtl);
        return (new SdkApp(broker.Client, broker.Time, app.ClientId, app.ClientSecret), app);
    }

    [Fact]
    public async Task AppLogin_IsLazy_AndRepeatsOnlyWhenLessThan60SecondsRemain()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var (sdk, app) = await AppAsync(broker, tokenTtl: 120);
        Assert.Empty(sdk.Calls);

        await sdk.HealthAsync();
        Assert.Equal(["GET /v1/health"], sdk.Paths());

        await sdk.CreateAgentAsync("orch-1", "task-1", ["read:data:*"]);
        Assert.Equal(["POST /v1/app/auth", "POST /v1/app/launch-tokens", "GET /v1/challenge", "POST /v1/register"], sdk.Paths(from: 1));
        var login = sdk.Calls[1];
        Assert.Equal("application/json", login.ContentType);
        Assert.Null(login.Authorization);
        Assert.Equal(new JsonObject { ["client_id"] = app.ClientId, ["client_secret"] = app.ClientSecret }.ToJsonString(), login.Body);
        Assert.Equal(broker.Time.GetUtcNow().AddSeconds(120), sdk.Session!.ExpiresAt);
        Assert.Equal(["app:launch-tokens:*", "app:agents:*", "app:audit:read"], sdk.Session.Scopes);
        string firstAppToken = sdk.Session.AccessToken;

        await sdk.CreateAgentAsync("orch-1", "task-2", ["read:data:*"]);
        Assert.Equal(["POST /v1/app/launch-tokens", "GET /v1/challenge", "POST /v1/register"], sdk.Paths(from: 5));

        // 60 s left: not yet below the buffer.
        broker.Time.Advance(TimeSpan.FromSeconds(60));
        await sdk.CreateAgentAsync("orch-1", "task-3", ["read:data:*"]);
        Assert.Equal(["POST /v1/app/launch-tokens", "GET /v1/challenge", "POST /v1/register"], sdk.Paths(from: 8));
        Assert.Equal(firstAppToken, sdk.Session.AccessToken);

        // 59 s left: log in again first.
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        await sdk.CreateAgentAsync("orch-1", "task-4", ["read:data:*"]);
        Assert.Equal(["POST /v1/app/auth", "POST /v1/app/launch-tokens", "GET /v1/challenge", "POST /v1/register"], sdk.Paths(from: 11));
        Assert.NotEqual(firstAppToken, sdk.Session.AccessToken);
        Assert.Equal($"Bearer {sdk.Session.AccessToken}", sdk.Calls[12].Authorization);
        Assert.Equal(broker.Time.GetUtcNow().AddSeconds(120), sdk.Session.ExpiresAt);
    }

    [Fact]
    public async Task CreateAgent_GoesLaunchTokenChallengeRegister_AndYieldsAnAgentOfTheApp()
    {
        var (sdk, app) = await AppAsync(Broker);

        var agent = await sdk.CreateAgentAsync("orch-sdk", "task-sdk", ["read:data:customers"]);

        var launch = sdk.Calls[1];
        Assert.Equal("POST /v1/app/launch-tokens", launch.Path);
        Assert.Equal($"Bearer {sdk.Session!.AccessToken}", launch.Authorization);
        Assert.Equal(
            new JsonObject { ["agent_name"] = "orch-sdk/task-sdk", ["allowed_scope"] = new JsonArray("read:data:customers"), ["max_ttl"] = 300, ["single_use"] = true }.ToJsonString(),
            launch.Body);
        Assert.Equal(201, launch.Status);
        var challenge = sdk.Calls[2];
        Assert.Null(challenge.Authorization);
        var register = JsonNode.Parse(sdk.Calls[3].Body!)!.AsObject();
        Assert.Equal(["launch_token", "nonce", "public_key", "signature", "orch_id", "task_id", "requested_scope"], register.Select(p => p.Key));
        Assert.Null(sdk.Calls[3].Authorization);
        Assert.Equal(200, sdk.Calls[3].Status);
        Assert.Matches("^spiffe://tessera\\.test/agent/orch-sdk/task-sdk/[0-9a-f]{16}$", agent.AgentId);
        Assert.Equal(300, agent.ExpiresIn);
        Assert.Equal(["read:data:customers"], agent.Scope);

        var result = await sdk.ValidateAsync(agent.AccessToken);
        Assert.True(result.Valid);
        Assert.Equal(agent.AgentId, result.Claims!.Sub);
        Assert.Equal("task-sdk", result.Claims.TaskId);
        Assert.Equal("orch-sdk", result.Claims.OrchId);
        Assert.Equal(["read:data:customers"], result.Claims.Scope);
        Assert.Equal(300, result.Claims.Exp - result.Claims.Iat);
        Assert.Equal(app.AppId, result.Raw!["app_id"]!.GetValue<string>());
        var issued = await Broker.AuditEventsAsync("event_type=launch_token_issued&limit=1000");
        Assert.Contains(
            issued["events"]!.AsArray(),
            e => e!["detail"]!.GetValue<string>() == $"launch token issued | agent_name=orch-sdk/task-sdk | scope=read:data:customers | max_ttl=300 | single_use=True | app_id={app.AppId}");
    }

    [Fact]
    public async Task CreateAgent_RaisesAuthorizationError_WhenTheScopeExceedsTheAppCeiling()
    {
        var (sdk, _) = await AppAsync(Broker, ["read:data:*"]);

        var error = await Assert.ThrowsAsync<AuthorizationError>(() => sdk.CreateAgentAsync("orch-1", "task-1", ["write:data:x"]));

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("scope_violation", error.Problem.ErrorCode);
        Assert.Equal("requested scopes exceed app ceiling; allowed: [read:data:*]", error.Problem.Detail);
        Assert.Equal(["POST /v1/app/auth", "POST /v1/app/launch-tokens"], sdk.Paths());
    }

    [Fact]
    public async Task CreateAgent_RaisesAuthenticationError_WhenTheAppSecretIsWrong()
    {
        var app = await Broker.CreateAppOkAsync();
        var sdk = new SdkApp(Broker.Client, Broker.Time, app.ClientId, "tsr_sk_not-the-secret");

        var error = await Assert.ThrowsAsync<AuthenticationError>(() => sdk.CreateAgentAsync("orch-1", "task-1", ["read:data:x"]));

        Assert.Equal(401, error.StatusCode);
        Assert.Equal("Authentication failed", error.Problem.Detail);
        Assert.Equal("unauthorized", error.Problem.ErrorCode);
        Assert.Equal(["POST /v1/app/auth"], sdk.Paths());
        Assert.Null(sdk.Session);
    }

    [Fact]
    public async Task Renew_ReplacesTheTokenInPlace_RevokingTheOldOneFirst()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var (sdk, _) = await AppAsync(broker);
        var agent = await sdk.CreateAgentAsync("orch-1", "task-1", ["read:data:*"]);
        string agentId = agent.AgentId;
        string old = agent.AccessToken;
        var oldClaims = (await sdk.ValidateAsync(old)).Claims!;
        broker.Time.Advance(TimeSpan.FromSeconds(10));
        int before = sdk.Calls.Count;

        await agent.RenewAsync();

        var renew = sdk.Calls[before];
        Assert.Equal("POST /v1/token/renew", renew.Path);
        Assert.Null(renew.ContentType);
        Assert.Null(renew.Body);
        Assert.Equal($"Bearer {old}", renew.Authorization);
        Assert.Equal(200, renew.Status);
        Assert.Equal(agentId, agent.AgentId);
        Assert.NotEqual(old, agent.AccessToken);
        Assert.Equal(300, agent.ExpiresIn);
        var stale = await sdk.ValidateAsync(old);
        Assert.False(stale.Valid);
        Assert.Equal(Invalid, stale.Error);
        var fresh = await sdk.ValidateAsync(agent.AccessToken);
        Assert.True(fresh.Valid);
        Assert.NotEqual(oldClaims.Jti, fresh.Claims!.Jti);
        Assert.Equal(oldClaims.Exp - oldClaims.Iat, fresh.Claims.Exp - fresh.Claims.Iat);
        Assert.Equal(oldClaims.Exp + 10, fresh.Claims.Exp);
        Assert.Equal(agentId, fresh.Claims.Sub);
        Assert.Equal(oldClaims.Scope, fresh.Claims.Scope);

        // Renewing the renewed token works too; the one renewed away cannot be renewed again.
        string second = agent.AccessToken;
        await agent.RenewAsync();
        Assert.NotEqual(second, agent.AccessToken);
        var holderOfOld = new SdkAgent(sdk, agentId, old, 300, ["read:data:*"], "task-1", "orch-1");
        var refused = await Assert.ThrowsAsync<AuthorizationError>(holderOfOld.RenewAsync);
        Assert.Equal("token has been revoked", refused.Problem.Detail);
    }

    [Fact]
    public async Task Release_Returns204_AndThenRenewAndDelegateAreRefused()
    {
        var (sdk, _) = await AppAsync(Broker);
        var agent = await sdk.CreateAgentAsync("orch-1", "task-rel", ["read:data:*"]);
        var other = await sdk.CreateAgentAsync("orch-1", "task-rel-2", ["read:data:*"]);
        string token = agent.AccessToken;
        int before = sdk.Calls.Count;

        await agent.ReleaseAsync();

        var release = sdk.Calls[before];
        Assert.Equal("POST /v1/token/release", release.Path);
        Assert.Equal(204, release.Status);
        Assert.Null(release.ContentType);
        Assert.Null(release.Body);
        Assert.Equal($"Bearer {token}", release.Authorization);

        // The SDK itself: a second release is a no-op, renew and delegate fail before any call.
        await agent.ReleaseAsync();
        Assert.Equal("agent has been released and cannot be renewed", (await Assert.ThrowsAsync<AgentWritError>(agent.RenewAsync)).Message);
        Assert.Equal("agent has been released and cannot delegate", (await Assert.ThrowsAsync<AgentWritError>(() => agent.DelegateAsync(other.AgentId, ["read:data:x"]))).Message);
        Assert.Equal(before + 1, sdk.Calls.Count);

        // The broker: whoever still holds the token is refused.
        var holder = new SdkAgent(sdk, agent.AgentId, token, 300, ["read:data:*"], "task-rel", "orch-1");
        var renew = await Assert.ThrowsAsync<AuthorizationError>(holder.RenewAsync);
        var delegate_ = await Assert.ThrowsAsync<AuthorizationError>(() => holder.DelegateAsync(other.AgentId, ["read:data:x"]));
        var again = await Assert.ThrowsAsync<AuthorizationError>(holder.ReleaseAsync);
        foreach (var error in new[] { renew, delegate_, again })
        {
            Assert.Equal(403, error.StatusCode);
            Assert.Equal("token has been revoked", error.Problem.Detail);
            Assert.Equal("insufficient_scope", error.Problem.ErrorCode);
        }

        Assert.False((await sdk.ValidateAsync(token)).Valid);
        Assert.True((await sdk.ValidateAsync(other.AccessToken)).Valid);
    }

    [Fact]
    public async Task Validate_Answers200_ForLiveRenewedAwayReleasedAndGarbageTokens()
    {
        var (sdk, _) = await AppAsync(Broker);
        var live = await sdk.CreateAgentAsync("orch-1", "task-live", ["read:data:*"]);
        var renewing = await sdk.CreateAgentAsync("orch-1", "task-renew", ["read:data:*"]);
        string renewedAway = renewing.AccessToken;
        await renewing.RenewAsync();
        var releasing = await sdk.CreateAgentAsync("orch-1", "task-release", ["read:data:*"]);
        string released = releasing.AccessToken;
        await releasing.ReleaseAsync();

        var liveResult = await sdk.ValidateAsync(live.AccessToken);
        Assert.True(liveResult.Valid);
        Assert.Null(liveResult.Error);
        Assert.Equal(live.AgentId, liveResult.Claims!.Sub);

        foreach (string token in new[] { renewedAway, released, "completely-fake-not-a-jwt", "eyJ.fake.token", "a.b.c.d.e" })
        {
            int before = sdk.Calls.Count;
            var result = await sdk.ValidateAsync(token);
            Assert.Equal(200, sdk.Calls[before].Status);
            Assert.False(result.Valid, token);
            Assert.Equal(Invalid, result.Error);
            Assert.Null(result.Claims);
            Assert.Equal(new JsonObject { ["valid"] = false, ["error"] = Invalid }.ToJsonString(), sdk.Calls[before].ResponseBody);
        }
    }

    [Fact]
    public async Task Validate_CarriesEveryRequiredClaim_ForEveryKindOfToken()
    {
        var (sdk, app) = await AppAsync(Broker);
        var a = await sdk.CreateAgentAsync("orch-k", "task-a", ["read:data:*"]);
        var b = await sdk.CreateAgentAsync("orch-k", "task-b", ["read:data:*"]);
        var delegated = await a.DelegateAsync(b.AgentId, ["read:data:x"]);
        string appToken = await Broker.AppTokenAsync(app);
        string adminToken = await Broker.AdminTokenAsync();
        string plainAgent = (await Broker.RegisterAgentAsync(taskId: "task-plain", orchId: "orch-plain")).Token;

        var agentClaims = (await sdk.ValidateAsync(a.AccessToken)).Claims!;
        var delegatedClaims = (await sdk.ValidateAsync(delegated.AccessToken)).Claims!;
        var appClaims = (await sdk.ValidateAsync(appToken)).Claims!;
        var adminClaims = (await sdk.ValidateAsync(adminToken)).Claims!;
        var plainClaims = (await sdk.ValidateAsync(plainAgent)).Claims!;

        Assert.Equal(("task-a", "orch-k"), (agentClaims.TaskId, agentClaims.OrchId));
        Assert.Null(agentClaims.DelegationChain);
        Assert.Null(agentClaims.ChainHash);
        Assert.Equal(["http://tessera.test"], agentClaims.Aud);
        Assert.Equal(("task-a", "orch-k"), (delegatedClaims.TaskId, delegatedClaims.OrchId));
        Assert.Equal(b.AgentId, delegatedClaims.Sub);
        Assert.Single(delegatedClaims.DelegationChain!);
        Assert.False(string.IsNullOrEmpty(delegatedClaims.ChainHash));
        Assert.Equal(($"app:{app.AppId}", "", ""), (appClaims.Sub, appClaims.TaskId, appClaims.OrchId));
        Assert.Equal(("admin", "", ""), (adminClaims.Sub, adminClaims.TaskId, adminClaims.OrchId));
        Assert.Equal(("task-plain", "orch-plain"), (plainClaims.TaskId, plainClaims.OrchId));
        foreach (var claims in new[] { agentClaims, delegatedClaims, appClaims, adminClaims, plainClaims })
        {
            Assert.Equal("http://tessera.test", claims.Iss);
            Assert.Matches("^[0-9a-f]{32}$", claims.Jti);
            Assert.True(claims.Nbf <= claims.Iat && claims.Iat < claims.Exp);
            Assert.NotEmpty(claims.Scope);
        }
    }

    [Fact]
    public async Task Delegate_AToBAndAToBToC_CarryTheChain()
    {
        var (sdk, _) = await AppAsync(Broker);
        var a = await sdk.CreateAgentAsync("orch-d", "task-a", ["read:data:*", "write:data:own"]);
        var b = await sdk.CreateAgentAsync("orch-d", "task-b", ["read:data:*"]);
        var c = await sdk.CreateAgentAsync("orch-d", "task-c", ["read:data:*"]);
        int before = sdk.Calls.Count;

        var ab = await a.DelegateAsync(b.AgentId, ["read:data:orders", "write:data:own"], ttl: 120);

        var call = sdk.Calls[before];
        Assert.Equal("POST /v1/delegate", call.Path);
        Assert.Equal($"Bearer {a.AccessToken}", call.Authorization);
        Assert.Equal(
            new JsonObject { ["delegate_to"] = b.AgentId, ["scope"] = new JsonArray("read:data:orders", "write:data:own"), ["ttl"] = 120 }.ToJsonString(),
            call.Body);
        Assert.Equal(120, ab.ExpiresIn);
        var hop = Assert.Single(ab.DelegationChain);
        Assert.Equal(a.AgentId, hop.Agent);
        Assert.Equal(["read:data:*", "write:data:own"], hop.Scope);
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$", hop.DelegatedAt);
        var abClaims = (await sdk.ValidateAsync(ab.AccessToken)).Claims!;
        Assert.Equal(b.AgentId, abClaims.Sub);
        Assert.Equal(["read:data:orders", "write:data:own"], abClaims.Scope);
        Assert.Equal([a.AgentId], abClaims.DelegationChain!.Select(h => h.Agent));

        // B, holding the delegated token, hands a narrower part on to C.
        var bHolding = new SdkAgent(sdk, b.AgentId, ab.AccessToken, ab.ExpiresIn, ["read:data:orders", "write:data:own"], "task-a", "orch-d");
        before = sdk.Calls.Count;
        var bc = await bHolding.DelegateAsync(c.AgentId, ["read:data:orders"]);

        Assert.Equal(new JsonObject { ["delegate_to"] = c.AgentId, ["scope"] = new JsonArray("read:data:orders") }.ToJsonString(), sdk.Calls[before].Body);
        Assert.Equal(60, bc.ExpiresIn);
        Assert.Equal(2, bc.DelegationChain.Count);
        Assert.Equal([a.AgentId, b.AgentId], bc.DelegationChain.Select(h => h.Agent));
        Assert.Equal(["read:data:*", "write:data:own"], bc.DelegationChain[0].Scope);
        Assert.Equal(["read:data:orders", "write:data:own"], bc.DelegationChain[1].Scope);
        var bcClaims = (await sdk.ValidateAsync(bc.AccessToken)).Claims!;
        Assert.Equal(c.AgentId, bcClaims.Sub);
        Assert.Equal(["read:data:orders"], bcClaims.Scope);
        Assert.Equal([a.AgentId, b.AgentId], bcClaims.DelegationChain!.Select(h => h.Agent));
        Assert.False(string.IsNullOrEmpty(bcClaims.ChainHash));
        Assert.NotEqual(abClaims.ChainHash, bcClaims.ChainHash);
    }

    [Theory]
    [InlineData("read:data:*")]
    [InlineData("write:data:orders")]
    [InlineData("read:logs:orders")]
    public async Task Delegate_RaisesAuthorizationError_WhenWiderThanTheDelegator(string wider)
    {
        var (sdk, _) = await AppAsync(Broker);
        var a = await sdk.CreateAgentAsync("orch-w", "task-a", ["read:data:orders"]);
        var b = await sdk.CreateAgentAsync("orch-w", "task-b", ["read:data:orders"]);

        var error = await Assert.ThrowsAsync<AuthorizationError>(() => a.DelegateAsync(b.AgentId, ["read:data:orders", wider]));

        Assert.Equal(403, error.StatusCode);
        Assert.Equal("scope_violation", error.Problem.ErrorCode);
        Assert.Equal("delegated scope exceeds delegator scope", error.Problem.Detail);
        Assert.Equal($"'{wider}' is not covered by the delegating token's scope", error.Problem.Hint);
    }

    [Fact]
    public async Task ScopeGating_TheSdkSubsetRule_AgreesWithTheBroker()
    {
        (string[] Held, string[] Requested, bool Covered)[] cases =
        [
            (["read:data:*"], ["read:data:customers"], true),
            (["read:data:customers"], ["read:data:customers"], true),
            (["read:data:customers"], ["read:data:*"], false),
            (["read:data:customers"], ["read:data:orders"], false),
            (["read:data:*"], ["write:data:customers"], false),
            (["read:data:*"], ["read:logs:customers"], false),
            (["read:data:*", "write:data:own"], ["read:data:a", "write:data:own"], true),
            (["read:data:*", "write:data:own"], ["read:data:a", "write:data:other"], false),
            (["orders:read"], ["orders:read"], true),
            (["orders:read"], ["orders:write"], false),
        ];
        var (sdk, _) = await AppAsync(Broker, ["read:data:*", "write:data:*", "read:logs:*", "orders:read", "orders:write"]);
        var target = await sdk.CreateAgentAsync("orch-g", "task-target", ["read:data:*"]);
        var holders = new Dictionary<string, SdkAgent>();

        foreach (var (held, requested, covered) in cases)
        {
            string key = string.Join(' ', held);
            if (!holders.TryGetValue(key, out var holder))
            {
                holder = await sdk.CreateAgentAsync("orch-g", $"task-{holders.Count}", held);
                holders[key] = holder;
            }

            bool sdkSays = SdkApp.ScopeIsSubset(requested, holder.Scope);
            bool brokerSays;
            try
            {
                await holder.DelegateAsync(target.AgentId, requested);
                brokerSays = true;
            }
            catch (AuthorizationError e) when (e.Problem.ErrorCode == "scope_violation")
            {
                brokerSays = false;
            }

            Assert.True(covered == sdkSays, $"SDK rule: [{key}] ⊇ [{string.Join(' ', requested)}] should be {covered}");
            Assert.True(covered == brokerSays, $"broker: [{key}] ⊇ [{string.Join(' ', requested)}] should be {covered}");
        }

        Assert.True(SdkApp.ScopeIsSubset([], ["read:data:*"]));
        Assert.False(SdkApp.ScopeIsSubset(["read:data:x"], []));
    }

    [Fact]
    public async Task NaturalExpiry_TheTokenLivesTheLaunchPolicysMaxTtl_ThenIsInvalid()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var (sdk, _) = await AppAsync(broker);

        var agent = await sdk.CreateAgentAsync("orch-x", "task-x", ["read:data:*"], maxTtl: 5);

        Assert.Equal(5, agent.ExpiresIn);
        var claims = (await sdk.ValidateAsync(agent.AccessToken)).Claims!;
        Assert.Equal(5, claims.Exp - claims.Iat);
        broker.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.True((await sdk.ValidateAsync(agent.AccessToken)).Valid);
        broker.Time.Advance(TimeSpan.FromSeconds(2));
        var expired = await sdk.ValidateAsync(agent.AccessToken);
        Assert.False(expired.Valid);
        Assert.Equal(Invalid, expired.Error);
        var error = await Assert.ThrowsAsync<AuthenticationError>(agent.RenewAsync);
        Assert.Equal("token verification failed", error.Problem.Detail);
    }

    [Fact]
    public async Task TwoAgents_AreIsolated_FromEachOthersRenewReleaseValidateAndRevocation()
    {
        var (sdk, _) = await AppAsync(Broker);
        var x = await sdk.CreateAgentAsync("orch-i", "task-x", ["read:data:*"]);
        var y = await sdk.CreateAgentAsync("orch-i", "task-y", ["read:data:*"]);
        string yFirst = y.AccessToken;
        Assert.NotEqual(x.AgentId, y.AgentId);

        // X renewing gets X a token for X; Y's token is untouched.
        await x.RenewAsync();
        var xClaims = (await sdk.ValidateAsync(x.AccessToken)).Claims!;
        Assert.Equal((x.AgentId, "task-x"), (xClaims.Sub, xClaims.TaskId));
        var yClaims = (await sdk.ValidateAsync(yFirst)).Claims!;
        Assert.Equal((y.AgentId, "task-y"), (yClaims.Sub, yClaims.TaskId));

        // Revoking X's token leaves Y valid and renewable.
        await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "token", xClaims.Jti);
        Assert.False((await sdk.ValidateAsync(x.AccessToken)).Valid);
        Assert.Equal("token has been revoked", (await Assert.ThrowsAsync<AuthorizationError>(x.RenewAsync)).Problem.Detail);
        Assert.True((await sdk.ValidateAsync(y.AccessToken)).Valid);
        await y.RenewAsync();
        Assert.Equal(y.AgentId, (await sdk.ValidateAsync(y.AccessToken)).Claims!.Sub);

        // Y releasing leaves another agent of the same app alone.
        var z = await sdk.CreateAgentAsync("orch-i", "task-z", ["read:data:*"]);
        await y.ReleaseAsync();
        Assert.False((await sdk.ValidateAsync(y.AccessToken)).Valid);
        Assert.True((await sdk.ValidateAsync(z.AccessToken)).Valid);
        Assert.Equal(z.AgentId, (await sdk.ValidateAsync(z.AccessToken)).Claims!.Sub);
    }

    [Fact]
    public async Task Problem_OfA403_HasEveryFieldTheSdkReads()
    {
        var (sdk, _) = await AppAsync(Broker);
        var a = await sdk.CreateAgentAsync("orch-p", "task-a", ["read:data:orders"]);
        var b = await sdk.CreateAgentAsync("orch-p", "task-b", ["read:data:orders"]);

        var error = await Assert.ThrowsAsync<AuthorizationError>(() => a.DelegateAsync(b.AgentId, ["write:data:orders"]));

        var p = error.Problem;
        Assert.Equal("urn:tessera:error:scope_violation", p.Type);
        Assert.Equal("Forbidden", p.Title);
        Assert.Equal("delegated scope exceeds delegator scope", p.Detail);
        Assert.Equal("/v1/delegate", p.Instance);
        Assert.Equal(403, p.Status);
        Assert.Equal("scope_violation", p.ErrorCode);
        Assert.False(string.IsNullOrEmpty(p.RequestId));
        Assert.False(string.IsNullOrEmpty(p.Hint));
        Assert.Equal($"Forbidden: {p.Detail}", error.Message);
        Assert.Equal("application/problem+json", sdk.Calls[^1].ResponseContentType);
    }

    [Fact]
    public async Task Errors_MapToTheSdksClasses_ByStatus()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["app_auth_rate"] = "10", ["app_auth_burst"] = "3" });
        var (sdk, app) = await AppAsync(broker, ["read:data:*"]);
        var a = await sdk.CreateAgentAsync("orch-e", "task-a", ["read:data:*"]);

        // Any other 4xx: the plain problem error (here 404, an unknown delegate).
        var notFound = await Assert.ThrowsAsync<ProblemResponseError>(() => a.DelegateAsync("spiffe://tessera.test/agent/o/t/0123456789abcdef", ["read:data:x"]));
        Assert.Equal((404, "not_found"), (notFound.StatusCode, notFound.Problem.ErrorCode));

        // 401: authentication; 429: rate limit (the app already logged in once, so two wrong logins reach the burst of 3).
        var wrong = new SdkApp(broker.Client, broker.Time, app.ClientId, "tsr_sk_wrong");
        Assert.Equal(401, (await Assert.ThrowsAsync<AuthenticationError>(() => wrong.CreateAgentAsync("orch-e", "task-b", ["read:data:*"]))).StatusCode);
        Assert.Equal(401, (await Assert.ThrowsAsync<AuthenticationError>(() => wrong.CreateAgentAsync("orch-e", "task-b", ["read:data:*"]))).StatusCode);
        var limited = await Assert.ThrowsAsync<RateLimitError>(() => wrong.CreateAgentAsync("orch-e", "task-b", ["read:data:*"]));
        Assert.Equal((429, "rate_limited"), (limited.StatusCode, limited.Problem.ErrorCode));
        Assert.True(int.Parse(Assert.Single(wrong.Calls[^1].RetryAfter!), System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Health_ReportsWhatTheSdkReads()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var sdk = new SdkApp(broker.Client, broker.Time, "tsr_kid_unused", "tsr_sk_unused");

        var health = await sdk.HealthAsync();

        Assert.Equal("ok", health.Status);
        Assert.False(string.IsNullOrWhiteSpace(health.Version));
        Assert.True(health.Uptime >= 1, $"uptime {health.Uptime}");
        Assert.True(health.DbConnected);
        Assert.True(health.AuditEventsCount >= 0);
        Assert.Equal(["GET /v1/health"], sdk.Paths());
        Assert.Equal(200, sdk.Calls[0].Status);
    }
}

/// <summary>One HTTP exchange the SDK mirror made, as the broker saw it.</summary>
public sealed record SdkCall(
    string Path, string? ContentType, string? Body, string? Authorization, int Status, string? ResponseBody, string? ResponseContentType, IEnumerable<string>? RetryAfter);

/// <summary>RFC 9457 problem fields as the SDK parses them (<c>ProblemDetail</c>).</summary>
public sealed record SdkProblem(string Type, string Title, string Detail, string Instance, int? Status, string? ErrorCode, string? RequestId, string? Hint);

[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "The SDK's own class names.")]
public class AgentWritError : Exception
{
    public AgentWritError()
    {
    }

    public AgentWritError(string message)
        : base(message)
    {
    }

    public AgentWritError(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Any error response (<c>ProblemResponseError</c>); the subclasses are the SDK's status mapping.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "The SDK's own class names.")]
public class ProblemResponseError : AgentWritError
{
    public ProblemResponseError()
    {
        Problem = new SdkProblem("", "", "", "", null, null, null, null);
    }

    public ProblemResponseError(string message)
        : base(message)
    {
        Problem = new SdkProblem("", "", message, "", null, null, null, null);
    }

    public ProblemResponseError(string message, Exception inner)
        : base(message, inner)
    {
        Problem = new SdkProblem("", "", message, "", null, null, null, null);
    }

    public ProblemResponseError(SdkProblem problem, int statusCode)
        : base($"{problem.Title}: {problem.Detail}")
    {
        Problem = problem;
        StatusCode = statusCode;
    }

    public SdkProblem Problem { get; }

    public int StatusCode { get; }
}

/// <summary>401.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "The SDK's own class names.")]
public sealed class AuthenticationError : ProblemResponseError
{
    public AuthenticationError()
    {
    }

    public AuthenticationError(string message)
        : base(message)
    {
    }

    public AuthenticationError(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AuthenticationError(SdkProblem problem, int statusCode)
        : base(problem, statusCode)
    {
    }
}

/// <summary>403.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "The SDK's own class names.")]
public sealed class AuthorizationError : ProblemResponseError
{
    public AuthorizationError()
    {
    }

    public AuthorizationError(string message)
        : base(message)
    {
    }

    public AuthorizationError(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AuthorizationError(SdkProblem problem, int statusCode)
        : base(problem, statusCode)
    {
    }
}

/// <summary>429.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "The SDK's own class names.")]
public sealed class RateLimitError : ProblemResponseError
{
    public RateLimitError()
    {
    }

    public RateLimitError(string message)
        : base(message)
    {
    }

    public RateLimitError(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RateLimitError(SdkProblem problem, int statusCode)
        : base(problem, statusCode)
    {
    }
}

public sealed record SdkSession(string AccessToken, DateTimeOffset ExpiresAt, string[] Scopes);

public sealed record SdkDelegationRecord(string Agent, string[] Scope, string DelegatedAt);

public sealed record SdkDelegatedToken(string AccessToken, int ExpiresIn, List<SdkDelegationRecord> DelegationChain);

public sealed record SdkClaims(
    string Iss, string Sub, string[] Aud, long Exp, long Nbf, long Iat, string Jti, string[] Scope, string TaskId, string OrchId,
    string? Sid, List<SdkDelegationRecord>? DelegationChain, string? ChainHash);

public sealed record SdkValidateResult(bool Valid, string? Error = null, SdkClaims? Claims = null, JsonObject? Raw = null);

public sealed record SdkHealth(string Status, string Version, long Uptime, bool DbConnected, long AuditEventsCount);

/// <summary>The SDK's <c>AgentWritApp</c> (with its transport and orchestrator) over a test's HttpClient and fake clock.</summary>
public sealed class SdkApp(HttpClient http, TimeProvider clock, string clientId, string clientSecret)
{
    public List<SdkCall> Calls { get; } = [];

    public SdkSession? Session { get; private set; }

    public string[] Paths(int from = 0) => Calls.Skip(from).Select(c => c.Path).ToArray();

    /// <summary><c>scope_is_subset</c>: action and resource equal, identifier equal or held <c>*</c>; anything not of three parts only by equality.</summary>
    public static bool ScopeIsSubset(IReadOnlyList<string> requested, IReadOnlyList<string> allowed)
    {
        if (requested.Count == 0)
        {
            return true;
        }

        if (allowed.Count == 0)
        {
            return false;
        }

        static bool Matches(string req, string allow)
        {
            string[] r = req.Split(':');
            string[] a = allow.Split(':');
            if (r.Length != 3 || a.Length != 3)
            {
                return req == allow;
            }

            if (r[0] != a[0] || r[1] != a[1])
            {
                return false;
            }

            return a[2] == "*" || r[2] == a[2];
        }

        return requested.All(req => allowed.Any(allow => Matches(req, allow)));
    }

    /// <summary><c>_ensure_app_authenticated</c>: log in when there is no session or under 60 s remain.</summary>
    public async Task EnsureAppAuthenticatedAsync()
    {
        var now = clock.GetUtcNow();
        if (Session is null || (Session.ExpiresAt - now).TotalSeconds < 60)
        {
            var data = await RequestAsync(HttpMethod.Post, "/v1/app/auth", new JsonObject { ["client_id"] = clientId, ["client_secret"] = clientSecret });
            Session = new SdkSession(
                Req(data, "access_token").GetValue<string>(),
                clock.GetUtcNow().AddSeconds(Req(data, "expires_in").GetValue<double>()),
                data!["scopes"] is JsonArray scopes ? scopes.Select(s => s!.GetValue<string>()).ToArray() : []);
        }
    }

    /// <summary><c>create_agent</c>: app login if needed, launch token, challenge, sign, register.</summary>
    public async Task<SdkAgent> CreateAgentAsync(string orchId, string taskId, string[] requestedScope, int maxTtl = 300, string? label = null)
    {
        await EnsureAppAuthenticatedAsync();
        var launch = await RequestAsync(
            HttpMethod.Post,
            "/v1/app/launch-tokens",
            new JsonObject
            {
                ["agent_name"] = label ?? $"{orchId}/{taskId}",
                ["allowed_scope"] = ToArray(requestedScope),
                ["max_ttl"] = maxTtl,
                ["single_use"] = true,
            },
            Session!.AccessToken);
        string launchToken = Req(launch, "launch_token").GetValue<string>();
        string nonce = Req(await RequestAsync(HttpMethod.Get, "/v1/challenge"), "nonce").GetValue<string>();
        using var key = AgentKey.Create();
        var registered = await RequestAsync(
            HttpMethod.Post,
            "/v1/register",
            new JsonObject
            {
                ["launch_token"] = launchToken,
                ["nonce"] = nonce,
                ["public_key"] = key.PublicKeyBase64,
                ["signature"] = key.SignNonce(nonce),
                ["orch_id"] = orchId,
                ["task_id"] = taskId,
                ["requested_scope"] = ToArray(requestedScope),
            });
        return new SdkAgent(
            this, Req(registered, "agent_id").GetValue<string>(), Req(registered, "access_token").GetValue<string>(),
            Req(registered, "expires_in").GetValue<int>(), requestedScope, taskId, orchId);
    }

    /// <summary><c>validate</c>: always 200 (anything else raises); required claims read strictly, optional ones leniently.</summary>
    public async Task<SdkValidateResult> ValidateAsync(string token)
    {
        int before = Calls.Count;
        JsonObject? data;
        try
        {
            data = await RequestAsync(HttpMethod.Post, "/v1/token/validate", new JsonObject { ["token"] = token });
        }
        catch (ProblemResponseError e)
        {
            throw new HttpRequestException($"validate answered {Calls[before].Status}", e);
        }

        if (data!["valid"]?.GetValue<bool>() != true)
        {
            return new SdkValidateResult(false, data["error"]?.GetValue<string>());
        }

        if (data["claims"] is not JsonObject c)
        {
            return new SdkValidateResult(false, "Missing claims in valid response");
        }

        List<SdkDelegationRecord>? chain = c["delegation_chain"] is JsonArray { Count: > 0 } hops ? hops.Select(Hop).ToList() : null;
        var claims = new SdkClaims(
            Req(c, "iss").GetValue<string>(),
            Req(c, "sub").GetValue<string>(),
            c["aud"] is JsonArray aud ? aud.Select(a => a!.GetValue<string>()).ToArray() : [],
            Req(c, "exp").GetValue<long>(),
            Req(c, "nbf").GetValue<long>(),
            Req(c, "iat").GetValue<long>(),
            Req(c, "jti").GetValue<string>(),
            Req(c, "scope").AsArray().Select(s => s!.GetValue<string>()).ToArray(),
            Req(c, "task_id").GetValue<string>(),
            Req(c, "orch_id").GetValue<string>(),
            c["sid"]?.GetValue<string>(),
            chain,
            c["chain_hash"]?.GetValue<string>());
        return new SdkValidateResult(true, Claims: claims, Raw: c);
    }

    /// <summary><c>health</c>: no authentication.</summary>
    public async Task<SdkHealth> HealthAsync()
    {
        var data = await RequestAsync(HttpMethod.Get, "/v1/health");
        return new SdkHealth(
            Req(data, "status").GetValue<string>(),
            Req(data, "version").GetValue<string>(),
            Req(data, "uptime").GetValue<long>(),
            Req(data, "db_connected").GetValue<bool>(),
            Req(data, "audit_events_count").GetValue<long>());
    }

    /// <summary>The transport: one request, recorded; 2xx returns the JSON body (if any), anything else raises by status.</summary>
    internal async Task<JsonObject?> RequestAsync(HttpMethod method, string path, JsonObject? json = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.UserAgent.ParseAdd("agentwrit-python/0.3.0");
        if (json is not null)
        {
            request.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Calls.Add(new SdkCall(
            $"{method.Method} {path}",
            request.Content?.Headers.ContentType?.MediaType,
            json?.ToJsonString(),
            request.Headers.Authorization?.ToString(),
            (int)response.StatusCode,
            text.Length == 0 ? null : text,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.TryGetValues("Retry-After", out var retry) ? retry.ToList() : null));
        if (response.IsSuccessStatusCode)
        {
            return text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject();
        }

        SdkProblem problem;
        try
        {
            var p = JsonNode.Parse(text)!.AsObject();
            problem = new SdkProblem(
                p["type"]?.GetValue<string>() ?? "", p["title"]?.GetValue<string>() ?? "", p["detail"]?.GetValue<string>() ?? "",
                p["instance"]?.GetValue<string>() ?? path, p["status"]?.GetValue<int>(), p["error_code"]?.GetValue<string>(),
                p["request_id"]?.GetValue<string>(), p["hint"]?.GetValue<string>());
        }
        catch (System.Text.Json.JsonException)
        {
            problem = new SdkProblem("about:blank", $"HTTP {(int)response.StatusCode}", text, path, (int)response.StatusCode, null, null, null);
        }

        int status = (int)response.StatusCode;
        throw status switch
        {
            401 => new AuthenticationError(problem, status),
            403 => new AuthorizationError(problem, status),
            429 => new RateLimitError(problem, status),
            _ => new ProblemResponseError(problem, status),
        };
    }

    internal static JsonNode Req(JsonObject? data, string key) =>
        data is not null && data.TryGetPropertyValue(key, out var value) && value is not null ? value : throw new KeyNotFoundException(key);

    internal static SdkDelegationRecord Hop(JsonNode? hop) => new(
        Req(hop!.AsObject(), "agent").GetValue<string>(),
        Req(hop.AsObject(), "scope").AsArray().Select(s => s!.GetValue<string>()).ToArray(),
        Req(hop.AsObject(), "delegated_at").GetValue<string>());

    private static JsonArray ToArray(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}

/// <summary>The SDK's <c>Agent</c>: renew in place, release (idempotent), delegate.</summary>
public sealed class SdkAgent(SdkApp app, string agentId, string accessToken, int expiresIn, string[] scope, string taskId, string orchId)
{
    private bool _released;

    public string AgentId { get; } = agentId;

    public string AccessToken { get; private set; } = accessToken;

    public int ExpiresIn { get; private set; } = expiresIn;

    public string[] Scope { get; } = scope;

    public string TaskId { get; } = taskId;

    public string OrchId { get; } = orchId;

    /// <summary><c>renew</c>: Authorization only, no body, no Content-Type.</summary>
    public async Task RenewAsync()
    {
        if (_released)
        {
            throw new AgentWritError("agent has been released and cannot be renewed");
        }

        var data = await app.RequestAsync(HttpMethod.Post, "/v1/token/renew", bearer: AccessToken);
        AccessToken = SdkApp.Req(data, "access_token").GetValue<string>();
        ExpiresIn = SdkApp.Req(data, "expires_in").GetValue<int>();
    }

    /// <summary><c>release</c>: Authorization only, 204; a second call is a no-op.</summary>
    public async Task ReleaseAsync()
    {
        if (_released)
        {
            return;
        }

        await app.RequestAsync(HttpMethod.Post, "/v1/token/release", bearer: AccessToken);
        _released = true;
    }

    /// <summary><c>delegate</c>: <c>{delegate_to, scope, ttl?}</c>.</summary>
    public async Task<SdkDelegatedToken> DelegateAsync(string delegateTo, string[] scope, int? ttl = null)
    {
        if (_released)
        {
            throw new AgentWritError("agent has been released and cannot delegate");
        }

        var payload = new JsonObject
        {
            ["delegate_to"] = delegateTo,
            ["scope"] = new JsonArray([.. scope.Select(s => (JsonNode?)JsonValue.Create(s))]),
        };
        if (ttl is not null)
        {
            payload["ttl"] = ttl;
        }

        var data = await app.RequestAsync(HttpMethod.Post, "/v1/delegate", payload, AccessToken);
        var chain = data!["delegation_chain"] is JsonArray hops ? hops.Select(SdkApp.Hop).ToList() : [];
        return new SdkDelegatedToken(SdkApp.Req(data, "access_token").GetValue<string>(), SdkApp.Req(data, "expires_in").GetValue<int>(), chain);
    }
}
