using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary><c>POST /v1/token</c> with client secrets (Basic and post), and <c>POST /v1/platforms/me</c>.</summary>
public sealed class TokenExchangeTests(SharedCredentialBroker shared) : IClassFixture<SharedCredentialBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Token_IssuesAPlatformBoundToken_WhenBasicCredentialsAndFormBody()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(["read:orders:*", "write:orders:*"], admin);

        var response = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId, "read:orders:42");

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["access_token", "token_type", "expires_in", "scope"], json.Select(p => p.Key));
        Assert.Equal("Bearer", json["token_type"]!.GetValue<string>());
        Assert.Equal(900, json["expires_in"]!.GetValue<int>());
        Assert.Equal("read:orders:42", json["scope"]!.GetValue<string>());
        string token = json["access_token"]!.GetValue<string>();
        var claims = Jwt.Payload(token);
        Assert.Equal([platform.PlatformId], Audience(claims));
        Assert.Equal(agent.AgentId, claims["sub"]!.GetValue<string>());
        Assert.Equal(agent.KeyId, claims["client_id"]!.GetValue<string>());
        Assert.Equal("read:orders:42", ScopeText(claims));
        Assert.Equal(900, claims["exp"]!.GetValue<long>() - claims["iat"]!.GetValue<long>());
        var validated = await Broker.ValidateAsync(token);
        Assert.True(validated["valid"]!.GetValue<bool>());
        var exchanged = Assert.Single(await Broker.AuditAsync("token_exchanged", agent.AgentId, admin));
        Assert.Equal(platform.PlatformId, exchanged["resource"]!.GetValue<string>());
        Assert.Contains("method=client_secret_basic", exchanged["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_Succeeds_WhenSecretIsPostedInAFormOrJsonBody()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var form = await Broker.TokenFormAsync(
        [
            new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", agent.Secret!), new("resource", platform.PlatformId),
        ]);
        var json = await Broker.Client.PostAsync(
            "/v1/token",
            new StringContent(new JsonObject { ["grant_type"] = "client_credentials", ["client_id"] = agent.KeyId, ["client_secret"] = agent.Secret, ["resource"] = platform.PlatformId }.ToJsonString(), Encoding.UTF8, "application/json"));

        foreach (var response in new[] { form, json })
        {
            var body = await ReadJsonAsync(response, 200);
            Assert.Equal(agent.AgentId, Jwt.Payload(body["access_token"]!.GetValue<string>())["sub"]!.GetValue<string>());
        }

        var audit = await Broker.AuditAsync("token_exchanged", agent.AgentId);
        Assert.Equal(2, audit.Count(e => e["detail"]!.GetValue<string>().Contains("method=client_secret_post", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Token_Returns401InvalidClientWithChallenge_WhenSecretIsWrong()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var response = await Broker.ExchangeAsync(agent.KeyId, agent.Secret + "x", platform.PlatformId);

        await AssertOAuthError(response, 401, "invalid_client", "invalid_client");
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Basic", challenge.Scheme);
        Assert.Contains("realm=", challenge.Parameter, StringComparison.Ordinal);
        var failed = Assert.Single(await Broker.AuditAsync("token_exchange_failed", adminToken: admin), e => e["detail"]!.GetValue<string>().Contains(agent.KeyId, StringComparison.Ordinal));
        Assert.Contains("code=invalid_client", failed["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_AnswersUnknownKeyIdExactlyLikeAWrongSecret()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var wrongSecret = await Broker.ExchangeAsync(agent.KeyId, "tsr_sk_" + new string('A', 43), platform.PlatformId);
        var unknownKey = await Broker.ExchangeAsync("tsr_kid_" + new string('0', 32), agent.Secret!, platform.PlatformId);
        var wrongPost = await Broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", "nope"), new("resource", platform.PlatformId)]);
        var unknownPost = await Broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", "tsr_kid_nope"), new("client_secret", agent.Secret!), new("resource", platform.PlatformId)]);

        var a = await AssertOAuthError(wrongSecret, 401, "invalid_client", "invalid_client");
        var b = await AssertOAuthError(unknownKey, 401, "invalid_client", "invalid_client");
        var c = await AssertOAuthError(wrongPost, 401, "invalid_client", "invalid_client");
        var d = await AssertOAuthError(unknownPost, 401, "invalid_client", "invalid_client");
        foreach (var other in new[] { b, c, d })
        {
            Assert.Equal(a.Select(p => p.Key), other.Select(p => p.Key));
            Assert.Equal(a["error_description"]!.GetValue<string>(), other["error_description"]!.GetValue<string>());
        }

        Assert.Equal(wrongSecret.Headers.WwwAuthenticate.ToString(), unknownKey.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Token_Returns401InvalidClient_WhenAPlatformsCredentialsAreUsed()
    {
        var (platform, _) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var response = await Broker.ExchangeAsync(platform.ClientId, platform.ClientSecret, platform.PlatformId);

        await AssertOAuthError(response, 401, "invalid_client", "invalid_client");
    }

    [Fact]
    public async Task Token_Returns401InvalidClient_WhenNoCredentialsAreSent()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var none = await Broker.TokenFormAsync([new("grant_type", "client_credentials"), new("resource", platform.PlatformId)]);
        var idOnly = await Broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("resource", platform.PlatformId)]);
        var emptySecret = await Broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", ""), new("resource", platform.PlatformId)]);
        var malformedBasic = await Broker.TokenFormAsync([new("grant_type", "client_credentials")], new AuthenticationHeaderValue("Basic", "!!!not-base64"));

        foreach (var response in new[] { none, idOnly, emptySecret, malformedBasic })
        {
            await AssertOAuthError(response, 401, "invalid_client", "invalid_client");
        }
    }

    [Theory]
    [InlineData("write:orders:1", "scope_not_granted")]
    [InlineData("read:orders:* write:orders:1", "scope_not_granted")]
    [InlineData("read:*:*", "scope_not_granted")]
    [InlineData("read:customers:1", "scope_not_granted")]
    [InlineData("read", "invalid_scope_format")]
    [InlineData("read::x", "invalid_scope_format")]
    public async Task Token_Returns400InvalidScope_WhenScopeIsOutsideTheGrantOrMalformed(string scope, string code)
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var response = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId, scope);

        await AssertOAuthError(response, 400, "invalid_scope", code);
        var failed = Assert.Single(await Broker.AuditAsync("token_exchange_failed", agent.AgentId, admin));
        Assert.Contains($"code={code}", failed["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await Broker.AuditAsync("token_exchanged", agent.AgentId, admin));
    }

    [Fact]
    public async Task Token_Returns400PlatformNotGranted_WhenPlatformExistsButIsNotGranted()
    {
        string admin = await shared.AdminTokenAsync();
        var (_, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var byId = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, other.PlatformId);
        var byUrl = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, $"https://{other.Hostnames[0]}/");

        await AssertOAuthError(byId, 400, "invalid_target", "platform_not_granted");
        await AssertOAuthError(byUrl, 400, "invalid_target", "platform_not_granted");
        var failed = await Broker.AuditAsync("token_exchange_failed", agent.AgentId, admin);
        Assert.Equal(2, failed.Count);
        Assert.All(failed, e => Assert.Equal(other.PlatformId, e["resource"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("no-such-platform")]
    [InlineData("https://unknown.example.net/")]
    [InlineData("ftp://x.example.com/")]
    [InlineData("https://x.example.com/#frag")]
    public async Task Token_Returns400InvalidTarget_WhenResourceNamesNoPlatform(string resource)
    {
        var (_, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var response = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, resource);

        await AssertOAuthError(response, 400, "invalid_target", "invalid_target");
    }

    [Theory]
    [InlineData("https://{0}/")]
    [InlineData("https://{0}")]
    [InlineData("https://{0}:8443/")]
    [InlineData("HTTPS://{0}/")]
    public async Task Token_ResolvesThePlatform_WhenResourceIsItsBaseUrl(string format)
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var json = await Broker.ExchangeOkAsync(agent, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, platform.Hostnames[0]));

        Assert.Equal([platform.PlatformId], Audience(Jwt.Payload(json["access_token"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Token_GivesTheFullGrant_WhenScopeIsEmptyOrMissing()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(["read:orders:*", "write:orders:own"], await shared.AdminTokenAsync());

        var missing = await Broker.ExchangeOkAsync(agent, platform.PlatformId);
        var empty = await Broker.ExchangeOkAsync(agent, platform.PlatformId, "");

        foreach (var json in new[] { missing, empty })
        {
            Assert.Equal("read:orders:* write:orders:own", json["scope"]!.GetValue<string>());
            Assert.Equal("read:orders:* write:orders:own", ScopeText(Jwt.Payload(json["access_token"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task Token_NeedsNoResource_OnlyWhenTheAgentHasExactlyOneGrant()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var idle = await Broker.CreateAgentOkAsync(adminToken: admin);

        var single = await Broker.ExchangeOkAsync(agent, null);
        Assert.Equal([platform.PlatformId], Audience(Jwt.Payload(single["access_token"]!.GetValue<string>())));

        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        await Broker.GrantOkAsync(agent.KeyId, other.PlatformId, ["read:orders:*"], admin);
        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, null), 400, "invalid_target", "invalid_target");
        await AssertOAuthError(await Broker.ExchangeAsync(idle.KeyId, idle.Secret!, null), 400, "invalid_target", "invalid_target");
        var second = await Broker.ExchangeOkAsync(agent, other.PlatformId);
        Assert.Equal([other.PlatformId], Audience(Jwt.Payload(second["access_token"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Token_UsesTheAgentsOwnTtl_WhenSet()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(tokenTtl: 120, adminToken: admin);
        await Broker.GrantOkAsync(agent.KeyId, platform.PlatformId, ["read:orders:*"], admin);

        var json = await Broker.ExchangeOkAsync(agent, platform.PlatformId);

        Assert.Equal(120, json["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Token_RefusesUnauthorizedClientAgentSuspended_UntilTheAgentIsUnsuspended()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);

        var suspended = await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId);

        await AssertOAuthError(suspended, UnauthorizedClientStatus, "unauthorized_client", "agent_suspended");
        Assert.Contains(await Broker.AuditAsync("token_exchange_failed", agent.AgentId, admin), e => e["detail"]!.GetValue<string>().Contains("code=agent_suspended", StringComparison.Ordinal));
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/unsuspend", adminToken: admin);
        await Broker.ExchangeOkAsync(agent, platform.PlatformId);
    }

    [Fact]
    public async Task Token_RefusesUnauthorizedClientAgentRevoked_AndEarlierTokensStopValidating_WhenAgentIsRevoked()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        string before = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        Assert.True(await Broker.IsValidAsync(before));

        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/revoke", adminToken: admin);

        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), UnauthorizedClientStatus, "unauthorized_client", "agent_revoked");
        Assert.False(await Broker.IsValidAsync(before));
    }

    [Theory]
    [InlineData("authorization_code", "unsupported_grant_type", "unsupported_grant_type")]
    [InlineData("password", "unsupported_grant_type", "unsupported_grant_type")]
    [InlineData("urn:ietf:params:oauth:grant-type:token-exchange", "unsupported_grant_type", "unsupported_grant_type")]
    [InlineData("", "invalid_request", "invalid_request")]
    public async Task Token_Returns400_WhenGrantTypeIsNotClientCredentials(string grantType, string error, string code)
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var response = await Broker.TokenFormAsync([new("grant_type", grantType), new("resource", platform.PlatformId)], Basic(agent.KeyId, agent.Secret!));

        await AssertOAuthError(response, 400, error, code);
    }

    [Fact]
    public async Task Token_Returns400InvalidRequest_WhenAParameterIsRepeated()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var form = await Broker.TokenFormAsync(
            [new("grant_type", "client_credentials"), new("resource", platform.PlatformId), new("scope", "read:orders:1"), new("scope", "read:orders:2")],
            Basic(agent.KeyId, agent.Secret!));
        var json = await Broker.Client.PostAsync(
            "/v1/token",
            new StringContent($$"""{"grant_type":"client_credentials","client_id":"{{agent.KeyId}}","client_secret":"{{agent.Secret}}","resource":"{{platform.PlatformId}}","resource":"x"}""", Encoding.UTF8, "application/json"));

        var problem = await AssertOAuthError(form, 400, "invalid_request", "invalid_request");
        Assert.Contains("'scope' is repeated", problem["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertOAuthError(json, 400, "invalid_request", "invalid_request");
    }

    [Fact]
    public async Task Token_Returns400InvalidRequest_WhenTwoAuthenticationMethodsAreUsed()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var basicAndPost = await Broker.TokenFormAsync(
            [new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", agent.Secret!), new("resource", platform.PlatformId)],
            Basic(agent.KeyId, agent.Secret!));
        var postAndAssertion = await Broker.TokenFormAsync(
        [
            new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", agent.Secret!),
            new("client_assertion_type", AssertionType), new("client_assertion", "a.b.c"), new("resource", platform.PlatformId),
        ]);
        var basicWithOtherId = await Broker.TokenFormAsync(
            [new("grant_type", "client_credentials"), new("client_id", "tsr_kid_other"), new("resource", platform.PlatformId)],
            Basic(agent.KeyId, agent.Secret!));

        await AssertOAuthError(basicAndPost, 400, "invalid_request", "invalid_request");
        await AssertOAuthError(postAndAssertion, 400, "invalid_request", "invalid_request");
        await AssertOAuthError(basicWithOtherId, 400, "invalid_request", "invalid_request");
    }

    [Fact]
    public async Task Token_Returns400UnsupportedMediaType_WhenBodyIsNeitherFormNorJson()
    {
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new StringContent($"grant_type=client_credentials&resource={platform.PlatformId}", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Authorization = Basic(agent.KeyId, agent.Secret!);

        var response = await Broker.Client.SendAsync(request);

        await AssertOAuthError(response, 400, "invalid_request", "unsupported_media_type");
    }

    [Fact]
    public async Task Token_Returns400_WhenJsonBodyIsMalformedOrHasNonStringValues()
    {
        var malformed = await Broker.Client.PostAsync("/v1/token", new StringContent("{\"grant_type\":", Encoding.UTF8, "application/json"));
        var array = await Broker.Client.PostAsync("/v1/token", new StringContent("[]", Encoding.UTF8, "application/json"));
        var number = await Broker.Client.PostAsync("/v1/token", new StringContent("{\"grant_type\":1}", Encoding.UTF8, "application/json"));

        foreach (var response in new[] { malformed, array, number })
        {
            await AssertOAuthError(response, 400, "invalid_request", "invalid_request");
        }
    }

    [Fact]
    public async Task PlatformsMe_ListsGrantedPlatformsWithHostnames()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(["read:orders:1"], admin);
        var other = await Broker.CreatePlatformOkAsync(hostnames: ["a.other.example.com", "b.other.example.com"], adminToken: admin);
        await Broker.CreatePlatformOkAsync(adminToken: admin);
        await Broker.GrantOkAsync(agent.KeyId, other.PlatformId, ["write:orders:*"], admin);

        var byKeyId = await Broker.PlatformsMeAsync(new { key_id = agent.KeyId, secret = agent.Secret }, 200);
        var byClientId = await Broker.PlatformsMeAsync(new { client_id = agent.KeyId, client_secret = agent.Secret }, 200);

        foreach (var json in new[] { byKeyId, byClientId })
        {
            Assert.Equal(agent.AgentId, json["agent_id"]!.GetValue<string>());
            var platforms = json["platforms"]!.AsArray().Select(p => p!.AsObject()).OrderBy(p => p["platform_id"]!.GetValue<string>() == platform.PlatformId ? 0 : 1).ToList();
            Assert.Equal(2, platforms.Count);
            Assert.Equal(platform.PlatformId, platforms[0]["platform_id"]!.GetValue<string>());
            Assert.Equal(platform.Hostnames, Strings(platforms[0]["hostnames"]));
            Assert.Equal(["read:orders:1"], Strings(platforms[0]["scopes"]));
            Assert.Equal(other.PlatformId, platforms[1]["platform_id"]!.GetValue<string>());
            Assert.Equal(["a.other.example.com", "b.other.example.com"], Strings(platforms[1]["hostnames"]));
            Assert.Equal(["write:orders:*"], Strings(platforms[1]["scopes"]));
            Assert.False(string.IsNullOrEmpty(platforms[1]["name"]?.GetValue<string>()));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/platforms/me");
        request.Headers.Authorization = Basic(agent.KeyId, agent.Secret!);
        var basic = await Broker.Client.SendAsync(request);
        Assert.Equal(2, (await ReadJsonAsync(basic, 200))["platforms"]!.AsArray().Count);
        Assert.Equal("no-store", basic.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task PlatformsMe_Returns401_WhenCredentialsAreWrongOrUnknown()
    {
        var (_, agent) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var wrong = await Broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret + "x" });
        var unknown = await Broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = "tsr_kid_" + new string('1', 32), secret = agent.Secret });
        var missing = await Broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId });

        foreach (var response in new[] { wrong, unknown, missing })
        {
            await AssertProblemCode(response, 401, "invalid_client");
        }
    }

    [Fact]
    public async Task PlatformsMe_Returns403_WhenAgentIsSuspendedOrRevoked()
    {
        string admin = await shared.AdminTokenAsync();
        var (_, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);

        var suspended = await Broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret });
        await AssertProblemCode(suspended, 403, "agent_suspended");

        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/revoke", adminToken: admin);
        var revoked = await Broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret });
        await AssertProblemCode(revoked, 403, "agent_revoked");
    }

    private static string ScopeText(JsonObject claims) => claims["scope"] switch
    {
        JsonArray a => string.Join(' ', a.Select(s => s!.GetValue<string>())),
        JsonNode n => n.GetValue<string>(),
        null => "",
    };
}

/// <summary>Secret rotation at the token endpoint: the grace window runs on the broker's (fake) clock.</summary>
public sealed class TokenExchangeRotationTests
{
    [Fact]
    public async Task Token_AcceptsOldSecretInsideTheGraceWindow_AndRefusesItAsSecretExpiredAfter()
    {
        await using var broker = await BrokerFixture.StartAsync(CredentialApi.NoExchangeLimits);
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        var rotated = await broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/rotate-secret", new JsonObject { ["grace_seconds"] = 600 }, adminToken: admin);

        string secret = rotated["secret"]!.GetValue<string>();
        Assert.Equal(agent.AgentId, rotated["agent_id"]!.GetValue<string>());
        Assert.Equal(agent.KeyId, rotated["key_id"]!.GetValue<string>());
        Assert.NotEqual(agent.Secret, secret);
        Assert.Equal(Rfc3339(broker.Time.GetUtcNow().AddSeconds(600)), rotated["previous_secret_valid_until"]!.GetValue<string>());
        Assert.Equal(rotated["previous_secret_valid_until"]!.GetValue<string>(), (await broker.GetAgentAsync(agent.KeyId, admin))["previous_secret_valid_until"]!.GetValue<string>());
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
        await broker.ExchangeOkAsync(agent with { Secret = secret }, platform.PlatformId);

        broker.Time.Advance(TimeSpan.FromSeconds(599));
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
        broker.Time.Advance(TimeSpan.FromSeconds(2));

        var expired = await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId);
        await AssertOAuthError(expired, 401, "invalid_client", "secret_expired");
        Assert.Equal("Basic", Assert.Single(expired.Headers.WwwAuthenticate).Scheme);
        await broker.ExchangeOkAsync(agent with { Secret = secret }, platform.PlatformId);
        var post = await broker.TokenFormAsync([new("grant_type", "client_credentials"), new("client_id", agent.KeyId), new("client_secret", agent.Secret!)]);
        await AssertOAuthError(post, 401, "invalid_client", "secret_expired");
    }

    [Fact]
    public async Task RotateSecret_UsesTheConfiguredDefaultGrace_WhenTheRequestNamesNone()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?>(CredentialApi.NoExchangeLimits) { ["secret_rotation_grace"] = "30" });
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        var rotated = await broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{Uri.EscapeDataString(agent.AgentId)}/rotate-secret", adminToken: admin);
        var immediate = await broker.CreateAgentOkAsync(adminToken: admin);
        await broker.GrantOkAsync(immediate.KeyId, platform.PlatformId, ["read:orders:*"], admin);
        var noGrace = await broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{immediate.KeyId}/rotate-secret", new JsonObject { ["grace_seconds"] = 0 }, adminToken: admin);

        Assert.Equal(Rfc3339(broker.Time.GetUtcNow().AddSeconds(30)), rotated["previous_secret_valid_until"]!.GetValue<string>());
        Assert.Null(noGrace["previous_secret_valid_until"]?.GetValue<string>());
        await AssertOAuthError(await broker.ExchangeAsync(immediate.KeyId, immediate.Secret!, platform.PlatformId), 401, "invalid_client", "invalid_client");
        broker.Time.Advance(TimeSpan.FromSeconds(31));
        await AssertOAuthError(await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), 401, "invalid_client", "secret_expired");
        await broker.ExchangeOkAsync(agent with { Secret = rotated["secret"]!.GetValue<string>() }, platform.PlatformId);
    }
}
