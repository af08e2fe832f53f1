using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// MudraID's agent SDK against a real broker over HTTP, call for call (facts.md §1, §2): the 1.x
/// control plane (discovery, per-platform mint with <c>scopes: []</c>, the 30 s refresh margin,
/// one re-mint and replay on a platform's 401 for idempotent methods only, and the 401 / 403 / 429
/// answers it maps, always JSON, never a redirect), and the 2.x machine client at
/// <c>POST /v1/token</c> (private_key_jwt RS256 and ES256, client_secret_basic, OAuth errors).
/// </summary>
public sealed class MudraIdSdkTests(MudraIdBroker fixture) : IClassFixture<MudraIdBroker>
{
    private BrokerFixture Broker => fixture.Broker;

    [Fact]
    public async Task Discovery_ListsOneActiveVerifiedEntryPerGrantedPlatformAndHostname_WhenTheSdkBootstraps()
    {
        var a = await fixture.PlatformAsync(UniqueId("acme"), ["api.acme.test", "Orders.Acme.Test"], ["orders:read"]);
        var b = await fixture.PlatformAsync(UniqueId("billing"), ["billing.example.com"], ["invoices:read"], profile: "tessera");
        var ungranted = await fixture.PlatformAsync(UniqueId("hidden"), ["hidden.example.com"], ["orders:read"]);
        var agent = await fixture.AgentAsync([(a.PlatformId, ["orders:read"]), (b.PlatformId, ["invoices:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl + "/", agent.KeyId, agent.Secret!, Broker.Time);

        var hosts = await sdk.PlatformsAsync();

        Assert.Equal(
            new Dictionary<string, string> { ["api.acme.test"] = a.PlatformId, ["orders.acme.test"] = a.PlatformId, ["billing.example.com"] = b.PlatformId },
            hosts.ToDictionary());
        Assert.DoesNotContain(ungranted.PlatformId, hosts.Values);
        var call = Assert.Single(sdk.ControlCalls);
        Assert.Equal("/api/v1/auth/agents/me/platforms", call.Path);
        Assert.Equal(["api_key_id", "secret"], call.Body.Select(p => p.Key));
        var entries = JsonNode.Parse(call.Text)!["platforms"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e =>
        {
            Assert.Equal("active", e["status"]!.GetValue<string>());
            Assert.Equal("verified", e["verification_status"]!.GetValue<string>());
            Assert.DoesNotContain(':', e["hostname"]!.GetValue<string>());
        });
        AssertJsonWithoutRedirects(sdk);
    }

    [Fact]
    public async Task Request_DiscoversOnceMintsOncePerPlatformWithTheFullGrant_ThenServesFromTheCache()
    {
        var (shop, stub) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read", "orders:write"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);

        // Host routing: lower-cased, port ignored; both registered names lead to the one platform.
        var first = await sdk.RequestAsync(HttpMethod.Get, $"http://LOCALHOST:{stub.Port}/orders");
        var second = await sdk.RequestAsync(HttpMethod.Get, $"http://127.0.0.1:{stub.Port}/orders/1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((1, 1), (sdk.Discoveries, sdk.Mints));
        var mint = sdk.ControlCalls[1];
        Assert.Equal("/api/v1/auth/token", mint.Path);
        Assert.Equal(["api_key_id", "secret", "platform_id", "scopes"], mint.Body.Select(p => p.Key));
        Assert.Empty(mint.Body["scopes"]!.AsArray());
        var answer = JsonNode.Parse(mint.Text)!.AsObject();
        Assert.Equal(["access_token", "expires_in", "token_type"], answer.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(answer["expires_in"]!.GetValue<int>() > 0);
        var claims = Jwt.Payload(answer["access_token"]!.GetValue<string>());
        Assert.Equal(["orders:read", "orders:write"], claims["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal([shop.PlatformId], Audience(claims));
        AssertJsonWithoutRedirects(sdk);
    }

    [Fact]
    public async Task Request_RefreshesTheToken_ThirtySecondsBeforeItExpires()
    {
        var (shop, stub) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])], tokenTtl: 120);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);
        string url = $"http://localhost:{stub.Port}/orders";

        Assert.Equal(HttpStatusCode.OK, (await sdk.RequestAsync(HttpMethod.Get, url)).StatusCode);
        string minted = sdk.ControlCalls[^1].Text;
        Assert.Equal(120, JsonNode.Parse(minted)!["expires_in"]!.GetValue<int>());

        Broker.Time.Advance(TimeSpan.FromSeconds(89));
        Assert.Equal(HttpStatusCode.OK, (await sdk.RequestAsync(HttpMethod.Get, url)).StatusCode);
        Assert.Equal(1, sdk.Mints);

        Broker.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await sdk.RequestAsync(HttpMethod.Get, url)).StatusCode);
        Assert.Equal(2, sdk.Mints);
        Assert.Equal(1, sdk.Discoveries);
        Assert.NotEqual(minted, sdk.ControlCalls[^1].Text);
    }

    [Theory]
    [InlineData("GET", null, true)]
    [InlineData("PUT", null, true)]
    [InlineData("DELETE", null, true)]
    [InlineData("OPTIONS", null, true)]
    [InlineData("POST", null, false)]
    [InlineData("PATCH", null, false)]
    [InlineData("POST", "order-7", true)]
    [InlineData("PATCH", "order-7", true)]
    public async Task Request_ReMintsAndReplaysOnce_OnAPlatform401_OnlyForIdempotentOrKeyedRequests(string method, string? idempotencyKey, bool replays)
    {
        var (shop, stub) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);
        string url = $"http://localhost:{stub.Port}/orders/7";
        Assert.Equal(HttpStatusCode.OK, (await sdk.RequestAsync(HttpMethod.Get, url)).StatusCode);
        string jti = Jwt.Payload(JsonNode.Parse(sdk.ControlCalls[^1].Text)!["access_token"]!.GetValue<string>())["jti"]!.GetValue<string>();
        stub.Refuse(jti);
        int hitsBefore = stub.Hits.Count;

        var response = await sdk.RequestAsync(new HttpMethod(method), url, method is "POST" or "PATCH" or "PUT" ? "{\"qty\":1}" : null, idempotencyKey);

        var hits = stub.Hits.Skip(hitsBefore).ToList();
        if (replays)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([401, 200], hits.Select(h => h.Status));
            Assert.NotEqual(jti, hits[1].Jti);
            Assert.Equal(2, sdk.Mints);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal([401], hits.Select(h => h.Status));
            Assert.Equal(1, sdk.Mints);
        }

        Assert.All(hits, h => Assert.Equal(method, h.Method));
    }

    [Fact]
    public async Task Request_ReturnsTheSecond401_AfterExactlyOneReMintAndReplay()
    {
        var (shop, stub) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);
        stub.Refuse(agent.AgentId);
        int hitsBefore = stub.Hits.Count;

        var response = await sdk.RequestAsync(HttpMethod.Get, $"http://localhost:{stub.Port}/orders");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([401, 401], stub.Hits.Skip(hitsBefore).Select(h => h.Status));
        Assert.Equal(2, sdk.Mints);
    }

    [Fact]
    public async Task ControlPlane_Returns401_OnBothEndpoints_WhenTheCredentialsAreWrong()
    {
        var (shop, _) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, "tsr_sk_not-the-secret", Broker.Time);

        var discovery = await Assert.ThrowsAsync<MudraIdSdkException>(sdk.PlatformsAsync);
        var mint = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.TokenAsync(shop.PlatformId, force: false));

        Assert.Equal((MudraIdSdkErrorKind.Auth, 401), (discovery.Kind, discovery.Status));
        Assert.Equal((MudraIdSdkErrorKind.Auth, 401), (mint.Kind, mint.Status));
        AssertJsonWithoutRedirects(sdk);
    }

    [Theory]
    [InlineData("revoked", "agent_revoked")]
    [InlineData("suspended", "agent_suspended")]
    public async Task ControlPlane_Returns403WithDetailAndErrorCode_OnBothEndpoints_WhenTheAgentIs(string status, string code)
    {
        var (shop, _) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/{(status == "revoked" ? "revoke" : "suspend")}", new JsonObject { ["reason"] = "test" });
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);

        var discovery = await Assert.ThrowsAsync<MudraIdSdkException>(sdk.PlatformsAsync);
        var mint = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.TokenAsync(shop.PlatformId, force: false));

        foreach (var refusal in new[] { discovery, mint })
        {
            Assert.Equal((MudraIdSdkErrorKind.Revoked, 403, code), (refusal.Kind, refusal.Status, refusal.ErrorCode));
            Assert.Contains(status, refusal.Message, StringComparison.Ordinal);
        }

        Assert.All(sdk.ControlCalls, c => Assert.Equal(JsonNode.Parse(c.Text)!["detail"]!.GetValue<string>(), JsonNode.Parse(c.Text)!["message"]!.GetValue<string>()));
        AssertJsonWithoutRedirects(sdk);
    }

    [Fact]
    public async Task Mint_Returns403PlatformNotGranted_AndTheSdkRefusesTheHostBeforeAnyMint_WhenTheAgentHasNoGrant()
    {
        var (shop, stub) = await fixture.ShopAsync();
        var other = await fixture.PlatformAsync(UniqueId("other"), ["other.example.com"], ["orders:read"]);
        var agent = await fixture.AgentAsync([(other.PlatformId, ["orders:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);

        var unrouted = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.RequestAsync(HttpMethod.Get, $"http://localhost:{stub.Port}/orders"));
        Assert.Equal(MudraIdSdkErrorKind.PlatformNotRegistered, unrouted.Kind);
        Assert.Equal(0, sdk.Mints);

        var refused = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.TokenAsync(shop.PlatformId, force: false));

        Assert.Equal((MudraIdSdkErrorKind.Revoked, 403, "platform_not_granted"), (refused.Kind, refused.Status, refused.ErrorCode));
        Assert.Contains(shop.PlatformId, refused.Message, StringComparison.Ordinal);
        AssertJsonWithoutRedirects(sdk);
    }

    [Fact]
    public async Task Mint_Returns403ScopeNotGranted_WhenAScopeOutsideTheGrantIsAskedFor()
    {
        var (shop, _) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        using var sdk = new MudraIdLegacyAgent(fixture.BaseUrl, agent.KeyId, agent.Secret!, Broker.Time);

        // The SDK always sends []; the endpoint still answers a named scope as MudraID's does.
        var granted = await sdk.PostAsync("/api/v1/auth/token", Body(agent, shop.PlatformId, "orders:read"));
        var refused = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.PostAsync("/api/v1/auth/token", Body(agent, shop.PlatformId, "orders:write")));

        Assert.Equal(["orders:read"], Jwt.Payload(granted["access_token"]!.GetValue<string>())["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal((MudraIdSdkErrorKind.Revoked, 403, "scope_not_granted"), (refused.Kind, refused.Status, refused.ErrorCode));
        Assert.Contains("orders:write", refused.Message, StringComparison.Ordinal);
        AssertJsonWithoutRedirects(sdk);

        static JsonObject Body(TestCredentialAgent agent, string platformId, string scope) => new()
        {
            ["api_key_id"] = agent.KeyId,
            ["secret"] = agent.Secret,
            ["platform_id"] = platformId,
            ["scopes"] = new JsonArray(scope),
        };
    }

    [Fact]
    public async Task ControlPlane_Returns429WithIntegerRetryAfterAndRateLimited_OnBothEndpoints_WhenOverTheLimit()
    {
        await using var limited = await MudraIdBroker.StartAsync(new Dictionary<string, string?>
        {
            ["endpoint_rate"] = "1",
            ["endpoint_burst"] = "1",
        });
        var platform = await limited.PlatformAsync(UniqueId("shop"), ["shop.example.com"], ["orders:read"], profile: "tessera");
        var agent = await limited.AgentAsync([(platform.PlatformId, ["orders:read"])]);
        using var first = new MudraIdLegacyAgent(limited.BaseUrl, agent.KeyId, agent.Secret!, limited.Broker.Time);
        using var second = new MudraIdLegacyAgent(limited.BaseUrl, agent.KeyId, agent.Secret!, limited.Broker.Time);

        await first.PlatformsAsync();
        await first.TokenAsync(platform.PlatformId, force: false);
        var discovery = await Assert.ThrowsAsync<MudraIdSdkException>(second.PlatformsAsync);
        var mint = await Assert.ThrowsAsync<MudraIdSdkException>(() => second.TokenAsync(platform.PlatformId, force: false));

        foreach (var refusal in new[] { discovery, mint })
        {
            Assert.Equal((MudraIdSdkErrorKind.RateLimited, 429, "RATE_LIMITED"), (refusal.Kind, refusal.Status, refusal.ErrorCode));
            Assert.InRange(refusal.RetryAfterSeconds ?? 0, 1, 60);
        }

        Assert.All(second.ControlCalls, c => Assert.Equal("rate_limited_endpoint", JsonNode.Parse(c.Text)!["tessera_error_code"]!.GetValue<string>()));
        AssertJsonWithoutRedirects(first);
        AssertJsonWithoutRedirects(second);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    public async Task MachineAgent_GetsTheFullGrant_WithPrivateKeyJwt(string alg)
    {
        var (shop, _) = await fixture.ShopAsync();
        using var key = AssertionKey.Create(alg);
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read", "orders:write"])], jwks: key.Jwks());
        Assert.Null(agent.Secret);
        using var sdk = new MudraIdMachineAgent(Identity(agent, $"http://localhost/", signer: key), Broker.Time);

        string token = await sdk.TokenAsync();

        Assert.Equal(["client_assertion", "client_assertion_type", "grant_type", "resource"], sdk.LastForm.Keys.Order(StringComparer.Ordinal));
        Assert.Null(sdk.LastAuthorization);
        var header = Jwt.Header(sdk.LastAssertion!);
        var claims = Jwt.Payload(sdk.LastAssertion!);
        Assert.Equal((alg, key.KeyId, "JWT"), (header["alg"]!.GetValue<string>(), header["kid"]!.GetValue<string>(), header["typ"]!.GetValue<string>()));
        Assert.Equal(["aud", "exp", "iat", "iss", "jti", "sub"], claims.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(60, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
        Assert.Matches("^[0-9a-f]{32}$", claims["jti"]!.GetValue<string>());
        Assert.Equal("orders:read orders:write", string.Join(' ', sdk.GrantedScope!.Split(' ').Order(StringComparer.Ordinal)));
        Assert.Equal([shop.PlatformId], Audience(Jwt.Payload(token)));
        var decision = await fixture.Verifier(shop.PlatformId).VerifyAsync("Bearer " + token, "orders:read");
        Assert.Equal(200, decision.Status);

        // The jti is spent: the same assertion again is a bad client, 401.
        var replay = await Assert.ThrowsAsync<MudraIdSdkException>(sdk.ReplayLastAssertionAsync);
        Assert.Equal((MudraIdSdkErrorKind.Auth, 401), (replay.Kind, replay.Status));
    }

    [Fact]
    public async Task MachineAgent_GetsTheFullGrantAndCachesIt_WithClientSecretBasic()
    {
        var (shop, _) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read", "orders:write"])], tokenTtl: 120);
        using var sdk = new MudraIdMachineAgent(Identity(agent, "https://localhost/"), Broker.Time);

        string token = await sdk.TokenAsync();

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{agent.KeyId}:{agent.Secret}")), sdk.LastAuthorization);
        Assert.Equal(["access_token", "expires_in", "scope", "token_type"], sdk.LastResponse!.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("Bearer", sdk.LastResponse!["token_type"]!.GetValue<string>());
        Assert.Equal(120, sdk.LastResponse!["expires_in"]!.GetValue<int>());
        Assert.Equal(["grant_type", "resource"], sdk.LastForm.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("https://localhost/", sdk.LastForm["resource"]);
        Assert.Equal("orders:read orders:write", string.Join(' ', sdk.GrantedScope!.Split(' ').Order(StringComparer.Ordinal)));
        Assert.Equal(["orders:read", "orders:write"], Jwt.Payload(token)["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).Order(StringComparer.Ordinal));

        Broker.Time.Advance(TimeSpan.FromSeconds(89));
        Assert.Equal(token, await sdk.TokenAsync());
        Broker.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotEqual(token, await sdk.TokenAsync());
        Assert.Equal(2, sdk.Mints);
    }

    [Fact]
    public async Task MachineAgent_SendsScope_OnlyWhenConfigured_AndGetsJustThat()
    {
        var (shop, _) = await fixture.ShopAsync();
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read", "orders:write"])]);
        using var sdk = new MudraIdMachineAgent(Identity(agent, shop.PlatformId, scopes: ["orders:read", "orders:read"]), Broker.Time);

        string token = await sdk.TokenAsync();

        Assert.Equal("orders:read", sdk.LastForm["scope"]);
        Assert.Equal("orders:read", sdk.GrantedScope);
        Assert.Equal(["orders:read"], Jwt.Payload(token)["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Theory]
    [InlineData("wrong_secret", MudraIdSdkErrorKind.Auth, 401, null)]
    [InlineData("scope_not_granted", MudraIdSdkErrorKind.Revoked, 400, "invalid_scope")]
    [InlineData("unknown_resource", MudraIdSdkErrorKind.Revoked, 400, "invalid_target")]
    [InlineData("ungranted_resource", MudraIdSdkErrorKind.Revoked, 400, "invalid_target")]
    [InlineData("suspended_agent", MudraIdSdkErrorKind.Revoked, 400, "unauthorized_client")]
    public async Task MachineAgent_MapsTheTokenEndpointsRefusal(string name, MudraIdSdkErrorKind kind, int status, string? error)
    {
        var (shop, _) = await fixture.ShopAsync();
        var other = name == "ungranted_resource" ? await fixture.PlatformAsync(UniqueId("other"), ["other.example.com"], ["orders:read"]) : null;
        var agent = await fixture.AgentAsync([(shop.PlatformId, ["orders:read"])]);
        if (name == "suspended_agent")
        {
            await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", new JsonObject { ["reason"] = "test" });
        }

        var identity = name switch
        {
            "wrong_secret" => Identity(agent with { Secret = "tsr_sk_wrong" }, shop.PlatformId),
            "scope_not_granted" => Identity(agent, shop.PlatformId, scopes: ["orders:write"]),
            "unknown_resource" => Identity(agent, "https://nowhere.example.com/"),
            "ungranted_resource" => Identity(agent, "https://other.example.com/"),
            _ => Identity(agent, shop.PlatformId),
        };
        Assert.True(other is null || name == "ungranted_resource");
        using var sdk = new MudraIdMachineAgent(identity, Broker.Time);

        var refusal = await Assert.ThrowsAsync<MudraIdSdkException>(() => sdk.TokenAsync());

        // A 403 would be "unexpected status" (a network error) to the 2.x SDK: every refusal but invalid_client is a 400.
        Assert.Equal((kind, status, error), (refusal.Kind, refusal.Status, refusal.ErrorCode));
        Assert.False(string.IsNullOrEmpty(refusal.Message));
    }

    private MachineIdentity Identity(TestCredentialAgent agent, string resource, string[]? scopes = null, AssertionKey? signer = null) =>
        new(agent.KeyId, fixture.TokenEndpoint, resource, scopes ?? [], signer is null ? null : TokenEndpointAudience, signer, agent.Secret);

    private static void AssertJsonWithoutRedirects(MudraIdLegacyAgent sdk)
    {
        Assert.NotEmpty(sdk.ControlCalls);
        Assert.All(sdk.ControlCalls, c =>
        {
            Assert.False(c.Redirect, $"{c.Path} redirected");
            Assert.Equal("application/json", c.ContentType);
            Assert.IsType<JsonObject>(JsonNode.Parse(c.Text));
        });
    }
}
