using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// The verification decisions that MudraID's platform middleware settled (issue #12, item 4), each
/// proven against an in-memory RS256 issuer: how scopes are read, the order of the header checks,
/// what an unknown key and an unusable JWKS answer, and which claims are required.
/// </summary>
public sealed class VerifierDecisionTests(TestIssuerApi shared) : IClassFixture<TestIssuerApi>
{
    private TestIssuer Issuer => shared.Issuer;

    private ProtectedApi Api => shared.Api;

    [Fact]
    public async Task GetOrders_Returns200_WhenScopesComeOnlyAsAnArray()
    {
        var claims = TestIssuer.Claims();
        claims.Remove("scope");
        claims["scopes"] = new JsonArray("orders:read", "orders:list");

        var response = await Api.GetAsync("/orders", Issuer.Sign(claims));

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(["orders:read", "orders:list"], JsonNode.Parse(text)!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        await Refusal.AssertAsync(await Api.SendAsync(HttpMethod.Post, "/orders", Issuer.Sign(claims)), HttpStatusCode.Forbidden, "MISSING_SCOPE");
    }

    [Fact]
    public async Task GetOrders_Returns200_WhenScopesComeOnlyAsASpaceDelimitedString()
    {

        var response = await Api.GetAsync("/orders", Issuer.Sign(TestIssuer.Claims("orders:list orders:read")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetOrders_Returns200_WhenScopeStringAndScopesArrayCarryTheSameSet()
    {
        var claims = TestIssuer.Claims("orders:read orders:list");
        claims["scopes"] = new JsonArray("orders:list", "orders:read");

        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/orders", Issuer.Sign(claims))).StatusCode);
    }

    [Theory]
    [InlineData("array_has_more")]
    [InlineData("string_has_more")]
    [InlineData("disjoint")]
    [InlineData("array_empty")]
    public async Task GetOrders_Returns401InvalidToken_WhenScopeStringAndScopesArrayDisagree(string name)
    {
        var (scope, scopes) = name switch
        {
            "array_has_more" => ("orders:read", new[] { "orders:read", "orders:write" }),
            "string_has_more" => ("orders:read orders:write", ["orders:read"]),
            "disjoint" => ("orders:read", ["orders:write"]),
            _ => ("orders:read", Array.Empty<string>()),
        };
        var claims = TestIssuer.Claims(scope);
        claims["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode?)s)]);

        await Refusal.Assert401Async(await Api.GetAsync("/orders", Issuer.Sign(claims)), "INVALID_TOKEN", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidTokenWithoutAnyKeyFetch_WhenAlgIsNotThePinnedOne()
    {
        using var issuer = new TestIssuer();
        await using var api = await StartAsync(issuer);
        foreach (string alg in new[] { "ES256", "EdDSA", "RS512", "PS256", "HS256", "none", "rs256" })
        {
            var header = issuer.Header();
            header["alg"] = alg;
            header["kid"] = "never-seen-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

            var response = await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims(), header));

            await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
            Assert.True(issuer.JwksFetches == 0, $"alg {alg} led to a key fetch");
        }
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidTokenAfterExactlyOneRefetch_WhenKidStaysUnknown()
    {
        using var issuer = new TestIssuer();
        await using var api = await StartAsync(issuer);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()))).StatusCode);
        Assert.Equal(1, issuer.JwksFetches);
        var header = issuer.Header();
        header["kid"] = "rotated-away";

        var response = await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims(), header));

        // MudraID's middleware answers 500 JWKS_UNAVAILABLE here; Tessera blames the token, not its keys.
        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
        Assert.Equal(2, issuer.JwksFetches);
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidToken_WhenTheJwksHasKeysButNotThisOne()
    {
        using var stranger = new TestIssuer();

        var response = await Api.GetAsync("/orders", stranger.Sign(TestIssuer.Claims()));

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
    }

    [Theory]
    [InlineData("jwks_answers_500")]
    [InlineData("jwks_has_no_keys")]
    [InlineData("jwks_has_only_keys_of_another_algorithm")]
    public async Task GetOrders_Returns503JwksUnavailable_WhenNoUsableKeyCanBeHad(string name)
    {
        using var issuer = new TestIssuer();
        issuer.Jwks = name switch
        {
            "jwks_answers_500" => null,
            "jwks_has_no_keys" => new JsonObject { ["keys"] = new JsonArray() },
            _ => new JsonObject { ["keys"] = new JsonArray(OtherAlgorithmJwk(issuer.KeyId)) },
        };
        await using var api = await StartAsync(issuer);

        var response = await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()));

        // 503 since issue 19 (was 500): a verifier that cannot get keys is unavailable, not broken.
        await Refusal.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "JWKS_UNAVAILABLE");
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "a 503 carries Retry-After in seconds");
    }

    [Theory]
    [InlineData("kid")]
    [InlineData("exp")]
    [InlineData("iat")]
    [InlineData("nbf")]
    [InlineData("aud")]
    [InlineData("iss")]
    [InlineData("sub")]
    [InlineData("jti")]
    public async Task GetOrders_Returns401InvalidToken_WhenARequiredClaimIsMissing(string claim)
    {
        var header = Issuer.Header();
        var claims = TestIssuer.Claims();
        Assert.Equal(HttpStatusCode.OK, (await Api.GetAsync("/orders", Issuer.Sign(claims, header))).StatusCode);
        if (claim == "kid")
        {
            header.Remove("kid");
        }
        else
        {
            Assert.True(claims.Remove(claim));
        }

        var response = await Api.GetAsync("/orders", Issuer.Sign(claims, header));

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
    }

    [Theory]
    [InlineData("aud_empty_list")]
    [InlineData("exp_as_string")]
    [InlineData("sub_as_number")]
    [InlineData("scopes_not_an_array")]
    public async Task GetOrders_Returns401InvalidToken_WhenAClaimHasTheWrongShape(string name)
    {
        var claims = TestIssuer.Claims();
        switch (name)
        {
            case "aud_empty_list":
                claims["aud"] = new JsonArray();
                break;
            case "exp_as_string":
                claims["exp"] = claims["exp"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "sub_as_number":
                claims["sub"] = 42;
                break;
            default:
                claims["scopes"] = "orders:read";
                break;
        }

        await Refusal.Assert401Async(await Api.GetAsync("/orders", Issuer.Sign(claims)), "INVALID_TOKEN", "invalid_token");
    }

    private static Task<ProtectedApi> StartAsync(TestIssuer issuer) =>
        ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, TestIssuerApi.Scopes, configure: issuer.Configure);

    private static JsonObject OtherAlgorithmJwk(string kid)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["kid"] = kid, ["use"] = "sig", ["alg"] = "ES256",
            ["x"] = System.Buffers.Text.Base64Url.EncodeToString(p.Q.X!), ["y"] = System.Buffers.Text.Base64Url.EncodeToString(p.Q.Y!),
        };
    }
}
