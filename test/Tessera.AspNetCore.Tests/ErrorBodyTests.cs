using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// <see cref="TesseraAuthenticationOptions.ErrorBody"/>: MudraID's body, exactly
/// <c>{error_code, message}</c>, beside the default problem+json; same statuses and codes.
/// </summary>
public sealed class ErrorBodyTests(MudraIdBodyApi shared) : IClassFixture<MudraIdBodyApi>
{
    [Theory]
    [InlineData("missing_token", 401, "MISSING_TOKEN", "Authorization header missing or not in 'Bearer <token>' form")]
    [InlineData("invalid_token", 401, "INVALID_TOKEN", null)]
    [InlineData("expired_token", 401, "EXPIRED_TOKEN", null)]
    [InlineData("wrong_audience", 401, "WRONG_AUDIENCE", null)]
    [InlineData("missing_scope", 403, "MISSING_SCOPE", "required scope 'orders:write' not present in token")]
    [InlineData("route_not_found", 404, "ROUTE_NOT_FOUND", "no agent route at this path")]
    [InlineData("skipped_route", 404, "ROUTE_NOT_FOUND", "no agent route at this path")]
    public async Task RouteScopes_WriteExactlyErrorCodeAndMessage_WhenErrorBodyIsMudraId(string name, int status, string code, string? message)
    {
        var issuer = shared.Issuer;
        var claims = TestIssuer.Claims();
        var (method, path, token) = name switch
        {
            "missing_token" => (HttpMethod.Get, "/orders", null),
            "invalid_token" => (HttpMethod.Get, "/orders", issuer.Sign(claims)[..^4] + "AAAA"),
            "expired_token" => (HttpMethod.Get, "/orders", issuer.Sign(Expired(claims))),
            "wrong_audience" => (HttpMethod.Get, "/orders", issuer.Sign(TestIssuer.Claims(audience: "billing-api"))),
            "missing_scope" => (HttpMethod.Post, "/orders", issuer.Sign(claims)),
            "route_not_found" => (HttpMethod.Get, "/nowhere", issuer.Sign(claims)),
            _ => (HttpMethod.Get, "/internal/debug", null),
        };

        var response = await shared.Api.SendAsync(method, path, token);

        var body = await AssertMudraIdBodyAsync(response, status, code);
        if (message is not null)
        {
            Assert.Equal(message, body["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task RouteScopes_WriteMudraIdBody_WhenNoUsableKeyCanBeHad()
    {
        using var issuer = new TestIssuer { Jwks = null };
        await using var api = await ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, configure: o =>
        {
            issuer.Configure(o);
            o.ErrorBody = ErrorBodyFormat.MudraId;
        });

        var response = await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()));
        var body = await AssertMudraIdBodyAsync(response, 503, "JWKS_UNAVAILABLE");

        Assert.NotNull(response.Headers.RetryAfter?.Delta);

        Assert.Equal("could not verify token signature", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task RouteScopes_WriteMudraIdBodyWithoutTheLoadError_WhenTheFileIsInvalid()
    {
        using var issuer = new TestIssuer();
        await using var api = await ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, scopesYaml: "platform_id: orders-api\nroutes: []\n", configure: o =>
        {
            issuer.Configure(o);
            o.ErrorBody = ErrorBodyFormat.MudraId;
        });

        var body = await AssertMudraIdBodyAsync(await api.GetAsync("/health"), 500, "MIDDLEWARE_NOT_READY");

        Assert.Equal("scope configuration is unavailable; check the server logs", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task RouteScopes_KeepProblemJson_ByDefault()
    {
        await using var api = await ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, configure: shared.Issuer.Configure);

        var body = await Refusal.AssertAsync(await api.GetAsync("/orders"), HttpStatusCode.Unauthorized, "MISSING_TOKEN");

        Assert.Equal("urn:tessera:verifier:missing-token", body["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AuthorizePolicies_WriteMudraIdBody_WhenErrorBodyIsMudraId()
    {
        using var issuer = new TestIssuer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication(TesseraAuthenticationExtensions.DefaultScheme).AddTessera(o =>
        {
            issuer.Configure(o);
            o.Audience = TesseraBroker.Audience;
            o.ValidIssuers.Add(TestIssuer.Url);
            o.ErrorBody = ErrorBodyFormat.MudraId;
        });
        builder.Services.AddAuthorization(o => o.AddPolicy("write", p => p.RequireScope("orders:write")));
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapPost("/orders", () => Results.Created()).RequireAuthorization("write");
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var anonymous = await client.PostAsync("/orders", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + issuer.Sign(TestIssuer.Claims()));
        var readOnly = await client.SendAsync(request);

        await AssertMudraIdBodyAsync(anonymous, 401, "MISSING_TOKEN");
        await AssertMudraIdBodyAsync(readOnly, 403, "MISSING_SCOPE");
        await app.StopAsync();
    }

    [Fact]
    public void Validate_Throws_WhenErrorBodyIsNotAFormat()
    {
        var options = new TesseraAuthenticationOptions { Authority = TestIssuer.Url, Audience = "a", ErrorBody = (ErrorBodyFormat)7 };

        var ex = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("ErrorBody", ex.Message, StringComparison.Ordinal);
    }

    private static JsonObject Expired(JsonObject claims)
    {
        long now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        claims["iat"] = now - 600;
        claims["nbf"] = now - 600;
        claims["exp"] = now - 300;
        return claims;
    }

    private static async Task<JsonObject> AssertMudraIdBodyAsync(HttpResponseMessage response, int status, string code)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(["error_code", "message"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(code, body["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["message"]!.GetValue<string>()));
        return body;
    }
}
