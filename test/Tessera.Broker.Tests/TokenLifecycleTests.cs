using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class TokenLifecycleTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Validate_ReturnsClaimsWithScopeArray_WhenTokenIsValid()
    {
        var (agent, _) = await Broker.RegisterAsync(requestedScope: ["read:data:a", "read:data:b"]);

        var result = await Broker.ValidateAsync(agent["access_token"]!.GetValue<string>());

        Assert.True(result["valid"]!.GetValue<bool>());
        var claims = result["claims"]!;
        Assert.Equal(agent["agent_id"]!.GetValue<string>(), claims["sub"]!.GetValue<string>());
        Assert.Equal(["read:data:a", "read:data:b"], claims["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("task-1", claims["task_id"]!.GetValue<string>());
        Assert.Equal("orch-1", claims["orch_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Validate_Returns400_WhenTokenFieldIsMissing()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/token/validate", new { });

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "token field is required");
    }

    public static TheoryData<string> Forgeries => new()
    {
        "alg none",
        "HS256 signed with the public key",
        "altered scope claim",
        "altered subject claim",
        "unknown kid",
        "missing kid",
        "ES256 header on EdDSA signature",
        "garbage",
        "bad base64 signature",
        "truncated signature",
        "oversized token",
    };

    [Fact]
    public async Task Validate_AnswersAnInvalidToken_WithTheSameBytesAsEver()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/token/validate", new { token = "not.a.token" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("{\"valid\":false,\"error\":\"token is invalid or expired\"}", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Validate_ReportsInvalid_WhenTokenIsForged(string forgery)
    {
        var (agent, _) = await Broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();
        string forged = await ForgeAsync(token, forgery);

        var result = await Broker.ValidateAsync(forged);

        Assert.False(result["valid"]!.GetValue<bool>());
        Assert.Equal("token is invalid or expired", result["error"]!.GetValue<string>());
        Assert.Null(result["claims"]);

        // And it is refused as a bearer too.
        var renew = await Broker.PostWithBearerAsync("/v1/token/renew", forged);
        Assert.Equal(HttpStatusCode.Unauthorized, renew.StatusCode);
    }

    private async Task<string> ForgeAsync(string token, string forgery)
    {
        var header = Jwt.Header(token);
        var payload = Jwt.Payload(token);
        var parts = token.Split('.');
        switch (forgery)
        {
            case "alg none":
                header["alg"] = "none";
                return $"{Jwt.Encode(header)}.{parts[1]}.";
            case "HS256 signed with the public key":
            {
                var jwks = await Broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json");
                byte[] publicKey = System.Buffers.Text.Base64Url.DecodeFromChars(jwks!["keys"]![0]!["x"]!.GetValue<string>());
                header["alg"] = "HS256";
                string input = $"{Jwt.Encode(header)}.{parts[1]}";
                string mac = System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(publicKey, Encoding.ASCII.GetBytes(input)));
                return $"{input}.{mac}";
            }

            case "altered scope claim":
                payload["scope"] = "admin:launch-tokens:* admin:revoke:* admin:audit:*";
                return Jwt.WithPayload(token, payload);
            case "altered subject claim":
                payload["sub"] = "admin";
                return Jwt.WithPayload(token, payload);
            case "unknown kid":
                header["kid"] = "not-a-key";
                return Jwt.WithHeader(token, header);
            case "missing kid":
                header.Remove("kid");
                return Jwt.WithHeader(token, header);
            case "ES256 header on EdDSA signature":
                header["alg"] = "ES256";
                return Jwt.WithHeader(token, header);
            case "garbage":
                return "not.a.jwt";
            case "bad base64 signature":
                return $"{parts[0]}.{parts[1]}.!!!!";
            case "truncated signature":
                return $"{parts[0]}.{parts[1]}.{parts[2][..20]}";
            case "oversized token":
                payload["padding"] = new string('x', 10_000);
                return Jwt.WithPayload(token, payload);
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery));
        }
    }

    [Fact]
    public async Task Renew_IssuesNewJtiWithSameScope_AndKillsThePredecessor()
    {
        var (agent, _) = await Broker.RegisterAsync(requestedScope: ["read:data:x"]);
        string old = agent["access_token"]!.GetValue<string>();

        var response = await Broker.PostWithBearerAsync("/v1/token/renew", old);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        string renewed = body["access_token"]!.GetValue<string>();
        Assert.Equal(300, body["expires_in"]!.GetValue<int>());
        Assert.NotEqual(Jwt.Payload(old)["jti"]!.GetValue<string>(), Jwt.Payload(renewed)["jti"]!.GetValue<string>());
        Assert.Equal("read:data:x", Jwt.Payload(renewed)["scope"]!.GetValue<string>());
        Assert.Equal(Jwt.Payload(old)["sub"]!.GetValue<string>(), Jwt.Payload(renewed)["sub"]!.GetValue<string>());
        Assert.Equal(Jwt.Payload(old)["aud"]!.ToJsonString(), Jwt.Payload(renewed)["aud"]!.ToJsonString());
        Assert.True((await Broker.ValidateAsync(renewed))["valid"]!.GetValue<bool>());
        Assert.False((await Broker.ValidateAsync(old))["valid"]!.GetValue<bool>());

        var again = await Broker.PostWithBearerAsync("/v1/token/renew", old);
        await RegistrationTests.AssertProblem(again, 403, "insufficient_scope", "token has been revoked");
    }

    [Fact]
    public async Task Renew_KeepsRequestedTtl_WhenShorterThanPolicy()
    {
        string launch = await Broker.LaunchTokenAsync(maxTtl: 600);
        using var key = AgentKey.Create();
        string nonce = await Broker.NonceAsync();
        var reg = await Broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), requestedTtl: 90));
        string token = (await reg.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();

        var response = await Broker.PostWithBearerAsync("/v1/token/renew", token);

        Assert.Equal(90, (await response.Content.ReadFromJsonAsync<JsonObject>())!["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Renew_Returns401_WhenNoBearer()
    {
        var response = await Broker.Client.PostAsync("/v1/token/renew", null);

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Fact]
    public async Task Renew_Returns401_WhenSchemeIsNotBearer()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token/renew");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic YTpi");

        var response = await Broker.Client.SendAsync(request);

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "invalid authorization scheme");
    }

    [Fact]
    public async Task Renew_Returns401_WhenTokenIsAdmin()
    {
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.PostWithBearerAsync("/v1/token/renew", admin);

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "token renewal failed");
    }

    [Fact]
    public async Task Release_Returns204_AndTheTokenIsDeadEverywhere()
    {
        var (agent, _) = await Broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();

        var response = await Broker.PostWithBearerAsync("/v1/token/release", token);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.False((await Broker.ValidateAsync(token))["valid"]!.GetValue<bool>());
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/renew", token), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(await Broker.PostWithBearerAsync("/v1/token/release", token), 403, "insufficient_scope", "token has been revoked");
    }

    [Fact]
    public async Task ReleasedAdminToken_CannotCreateLaunchTokens()
    {
        string admin = await Broker.AdminTokenAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await Broker.PostWithBearerAsync("/v1/token/release", admin)).StatusCode);

        var response = await Broker.PostWithBearerAsync("/v1/admin/launch-tokens", admin, new { agent_name = "x", allowed_scope = new[] { "a:b" } });

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token has been revoked");
    }
}

public sealed class TokenExpiryTests
{
    [Fact]
    public async Task Token_IsInvalidAndCannotRenew_AfterItExpires()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var (agent, _) = await broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();

        broker.Time.Advance(TimeSpan.FromSeconds(301));

        Assert.False((await broker.ValidateAsync(token))["valid"]!.GetValue<bool>());
        var renew = await broker.PostWithBearerAsync("/v1/token/renew", token);
        var problem = await RegistrationTests.AssertProblem(renew, 401, "unauthorized", "token verification failed");
        Assert.Contains("expired", problem["hint"]!.GetValue<string>());
        Assert.Contains("invalid_token", renew.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Token_IsInvalid_BeforeItsNotBefore()
    {
        var now = TimeProvider.System.GetUtcNow();
        var future = await BrokerFixture.StartAsync(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now.AddSeconds(120)));
        var (agent, _) = await future.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();
        await future.StopAsync();

        // The same broker (same key and database), its clock two minutes earlier than the token's nbf.
        await using var broker = await BrokerFixture.StartAsync(directory: future.Directory, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now));

        Assert.False((await broker.ValidateAsync(token))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Token_ClampedToBrokerCeiling_WhenPolicyAllowsMore()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["max_ttl"] = "200", ["default_ttl"] = "100" });
        string launch = await broker.LaunchTokenAsync(maxTtl: 200);

        var (agent, _) = await broker.RegisterAsync(launch);

        Assert.Equal(200, agent["expires_in"]!.GetValue<int>());
    }
}

public sealed class RenewRaceTests
{
    [Fact]
    public async Task Renew_HasExactlyOneWinner_WhenTheSameTokenIsRenewedConcurrently()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var (agent, _) = await broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => broker.PostWithBearerAsync("/v1/token/renew", token)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(19, responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
    }
}

public sealed class AdminScopeIsolationTests
{
    [Fact]
    public async Task LaunchToken_RefusesAdminNamespaceScopes()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();

        var response = await broker.PostWithBearerAsync("/v1/admin/launch-tokens", admin, new { agent_name = "x", allowed_scope = new[] { "admin:launch-tokens:*" } });

        await RegistrationTests.AssertProblem(response, 400, "invalid_scope_format", "scope 'admin:launch-tokens:*' is in the admin: namespace, which is reserved for the broker's own admin tokens");
    }

    [Fact]
    public async Task AgentWithWildcardGrant_CannotUseAdminEndpoints()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string launch = await broker.LaunchTokenAsync(["*:*:*"]);
        var (agent, _) = await broker.RegisterAsync(launch, ["*:*:*"]);

        var response = await broker.PostWithBearerAsync("/v1/admin/launch-tokens", agent["access_token"]!.GetValue<string>(), new { agent_name = "x", allowed_scope = new[] { "a:b" } });

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: admin:launch-tokens:*");
    }
}
