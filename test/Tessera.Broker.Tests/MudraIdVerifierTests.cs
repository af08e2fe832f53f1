using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// Tokens and scopes files as MudraID's platform middleware reads them: a token of a platform on
/// the <c>mudraid</c> profile passes an independent verifier set up exactly as that middleware
/// checks; a token of a platform left on the default profile does not (its EdDSA kid is no RSA key
/// of the JWKS: the middleware's 500 <c>JWKS_UNAVAILABLE</c>); the scopes file is rendered in
/// the middleware's subset, or refused with 409 when a rule has no place in it.
/// </summary>
public sealed class MudraIdVerifierTests(MudraIdBroker fixture) : IClassFixture<MudraIdBroker>
{
    private BrokerFixture Broker => fixture.Broker;

    [Fact]
    public async Task MiddlewareVerifier_AcceptsAMudraIdProfileToken_AndRefusesADefaultProfileToken()
    {
        var mudraid = await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read", "orders:write"]);
        var tessera = await fixture.PlatformAsync(UniqueId("stock"), ["stock.example.com"], ["stock:read"], profile: "tessera");
        var agent = await fixture.AgentAsync([(mudraid.PlatformId, ["orders:read"]), (tessera.PlatformId, ["stock:read"])]);
        string mudraidToken = (await Broker.ExchangeOkAsync(agent, "https://orders.example.com/"))["access_token"]!.GetValue<string>();
        string tesseraToken = (await Broker.ExchangeOkAsync(agent, tessera.PlatformId))["access_token"]!.GetValue<string>();
        var ordersApi = fixture.Verifier(mudraid.PlatformId);
        var stockApi = fixture.Verifier(tessera.PlatformId);

        var accepted = await ordersApi.VerifyAsync("Bearer " + mudraidToken, "orders:read");
        var refused = await stockApi.VerifyAsync("Bearer " + tesseraToken, "stock:read");

        Assert.Equal(200, accepted.Status);
        Assert.Equal(agent.AgentId, accepted.Claims!["sub"]!.GetValue<string>());
        Assert.Equal((500, "JWKS_UNAVAILABLE"), (refused.Status, refused.ErrorCode));
        Assert.Equal("EdDSA", Jwt.Header(tesseraToken)["alg"]!.GetValue<string>());
        Assert.DoesNotContain(Jwt.Header(tesseraToken)["kid"]!.GetValue<string>(), stockApi.KeyIds);
        Assert.Equal(2, stockApi.Fetches);
    }

    [Fact]
    public async Task MudraIdProfileToken_HasTheShapeTheMiddlewareAndPyJwtRequire()
    {
        var platform = await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read", "orders:write"]);
        var agent = await fixture.AgentAsync([(platform.PlatformId, ["orders:read", "orders:write"])]);

        string token = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();

        var header = Jwt.Header(token);
        var claims = Jwt.Payload(token);
        Assert.Equal("RS256", header["alg"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(header["kid"]!.GetValue<string>()));
        foreach (string time in new[] { "exp", "nbf", "iat" })
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Number, claims[time]!.GetValueKind());
            Assert.DoesNotContain('.', claims[time]!.ToJsonString());
        }

        Assert.Equal(System.Text.Json.JsonValueKind.String, claims["sub"]!.GetValueKind());
        Assert.Equal(System.Text.Json.JsonValueKind.String, claims["jti"]!.GetValueKind());
        Assert.Equal(MudraIdBroker.Issuer, claims["iss"]!.GetValue<string>());
        Assert.Equal([platform.PlatformId], Audience(claims));
        Assert.Equal(["orders:read", "orders:write"], claims["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(["orders:read", "orders:write"], claims["scope"]!.GetValue<string>().Split(' ').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Jwks_PublishesTheProfileKeyAsAnRsaSigningKey_BesideTheDefaultKey_EveryKeyWithKidUseAndAlg()
    {
        await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read"]);

        var keys = (await Broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();

        Assert.All(keys, k =>
        {
            Assert.False(string.IsNullOrEmpty(k["kid"]?.GetValue<string>()));
            Assert.Equal("sig", k["use"]?.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(k["alg"]?.GetValue<string>()));
        });
        Assert.Contains(keys, k => k["kty"]!.GetValue<string>() == "RSA" && k["alg"]!.GetValue<string>() == "RS256");
        Assert.Contains(keys, k => k["alg"]!.GetValue<string>() == "EdDSA");
    }

    [Fact]
    public async Task Metadata_GivesTheIssuerAndJwksUrl_TheMiddlewareIsConfiguredWith()
    {
        var metadata = (await Broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/tessera-configuration"))!;

        Assert.Equal(MudraIdBroker.Issuer, metadata["issuer"]!.GetValue<string>());
        Assert.Equal(MudraIdBroker.Issuer + "/.well-known/jwks.json", metadata["jwks_uri"]!.GetValue<string>());
        Assert.Equal(MudraIdBroker.Issuer + "/v1/token", metadata["token_endpoint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("route_scope_not_in_token", "orders:write", 403, "MISSING_SCOPE")]
    [InlineData("wildcard_is_not_matched", "orders:*", 403, "MISSING_SCOPE")]
    [InlineData("another_platform", "orders:read", 401, "WRONG_AUDIENCE")]
    [InlineData("middleware_default_issuer", "orders:read", 401, "WRONG_ISSUER")]
    [InlineData("expired", "orders:read", 401, "EXPIRED_TOKEN")]
    [InlineData("no_bearer", "orders:read", 401, "MISSING_TOKEN")]
    public async Task MiddlewareVerifier_RefusesAMudraIdProfileToken_AsTheMiddlewareWould(string name, string routeScope, int status, string code)
    {
        var platform = await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read", "orders:write"]);
        var agent = await fixture.AgentAsync([(platform.PlatformId, ["orders:read"])]);
        string token = (await Broker.ExchangeOkAsync(agent, platform.PlatformId))["access_token"]!.GetValue<string>();
        var verifier = name switch
        {
            "another_platform" => fixture.Verifier("billing-api"),
            "middleware_default_issuer" => fixture.Verifier(platform.PlatformId, "mudraid-identity"),
            _ => fixture.Verifier(platform.PlatformId),
        };
        if (name == "expired")
        {
            // At exp + 30 s the middleware's 30 s leeway is used up.
            long exp = Jwt.Payload(token)["exp"]!.GetValue<long>();
            Broker.Time.Advance(DateTimeOffset.FromUnixTimeSeconds(exp + 30) - Broker.Time.GetUtcNow());
        }

        var decision = await verifier.VerifyAsync(name == "no_bearer" ? "Token " + token : "Bearer " + token, routeScope);

        Assert.Equal((status, code), (decision.Status, decision.ErrorCode));
    }

    [Fact]
    public async Task ScopesFile_RendersOneExactScopePerRoute_ForAMudraIdProfilePlatform()
    {
        var routes = new JsonArray(
            new JsonObject { ["method"] = "GET", ["path"] = "/health", ["public"] = true },
            Route("GET", "/orders", "orders:read"),
            new JsonObject { ["method"] = "GET", ["path"] = "/orders/{id}", ["scopes"] = new JsonArray("orders:read") },
            Route("POST", "/orders", "orders:write"),
            new JsonObject { ["method"] = "GET", ["path"] = "/admin", ["skip"] = true });
        var platform = await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read", "orders:write"], routes: routes);

        var response = await ScopesFileAsync(platform);

        string yaml = await response.Content.ReadAsStringAsync();
        Assert.True(200 == (int)response.StatusCode, yaml);
        Assert.Contains($"platform_id: \"{platform.PlatformId}\"\nversion: 1\nroutes:\n", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("scopes:", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("match:", yaml, StringComparison.Ordinal);
        Assert.Equal(3, yaml.Split('\n').Count(l => l.StartsWith("    scope: ", StringComparison.Ordinal)));
        Assert.Contains("  - method: \"GET\"\n    path: \"/orders/{id}\"\n    scope: \"orders:read\"\n", yaml, StringComparison.Ordinal);
        Assert.Contains("    public: true\n", yaml, StringComparison.Ordinal);
        Assert.Contains("    skip: true\n", yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wildcard_scope", "wildcard")]
    [InlineData("several_scopes", "several scopes")]
    [InlineData("catch_all", "catch-all")]
    public async Task ScopesFile_Returns409_WhenARuleHasNoPlaceInMudraIdsFormat(string name, string why)
    {
        var rule = name switch
        {
            "wildcard_scope" => Route("GET", "/orders/{id}", "orders:*"),
            "several_scopes" => new JsonObject { ["method"] = "GET", ["path"] = "/orders/{id}", ["scopes"] = new JsonArray("orders:read", "orders:list"), ["match"] = "any" },
            _ => Route("GET", "/orders/{*rest}", "orders:read"),
        };
        var platform = await fixture.PlatformAsync(
            UniqueId("orders"), ["orders.example.com"], ["orders:read", "orders:list", "orders:*"], routes: new JsonArray(Route("GET", "/orders", "orders:read"), rule));

        var response = await ScopesFileAsync(platform);

        var problem = await AssertProblemCode(response, 409, "conflict");
        Assert.Contains("routes[1]", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(why, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> ScopesFileAsync(TestPlatform platform)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{platform.PlatformId}/scopes-file");
        request.Headers.Authorization = Basic(platform.ClientId, platform.ClientSecret);
        return await Broker.Client.SendAsync(request);
    }
}
