using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Over real HTTP: a real broker issues tokens, an in-process copy of samples/PlatformApi
/// verifies them. Every stable error code is produced by its cause.
/// </summary>
public sealed class VerifierIntegrationTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private TesseraBroker Broker => fixture.Broker;

    [Fact]
    public async Task GetPublicRoute_Returns200_WhenNoToken()
    {
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ok", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_ReachesHandlerWithSubAndScopeClaims_WhenTokenValid()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.GetAsync("/orders", token);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(Refusal.Payload(token)["sub"]!.GetValue<string>(), json["agent"]!.GetValue<string>());
        Assert.StartsWith("spiffe://", json["agent"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("orders:read", json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(json["authenticated"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic x")]
    public async Task GetOrders_Returns401MissingToken_WhenNoBearerToken(string? authorization)
    {
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.SendAsync(HttpMethod.Get, "/orders", rawAuthorization: authorization);

        await Refusal.Assert401Async(response, "MISSING_TOKEN", bearerError: null);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("abc.def.ghi")]
    [InlineData("eyJhbGciOiJFZERTQSJ9..")]
    public async Task GetOrders_Returns401InvalidToken_WhenTokenIsGarbage(string garbage)
    {
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.GetAsync("/orders", garbage);

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidToken_WhenPayloadTampered()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        var payload = Refusal.Payload(token);
        payload["scope"] = "orders:read orders:write orders:admin";
        payload["exp"] = payload["exp"]!.GetValue<long>() + 3600;
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);
        var response = await api.GetAsync("/orders", Refusal.WithPayload(token, payload));

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidToken_WhenAlgIsNone()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        var header = Refusal.Header(token);
        header["alg"] = "none";
        var parts = token.Split('.');
        string unsigned = $"{Refusal.Encode(header)}.{parts[1]}.";
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        await Refusal.Assert401Async(await api.GetAsync("/orders", unsigned), "INVALID_TOKEN", "invalid_token");
        await Refusal.Assert401Async(await api.GetAsync("/orders", Refusal.WithHeader(token, header)), "INVALID_TOKEN", "invalid_token");
        Assert.Equal(0, api.Backchannel.JwksFetches);
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidToken_WhenHs256Signed()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        var header = Refusal.Header(token);
        header["alg"] = "HS256";
        string signingInput = $"{Refusal.Encode(header)}.{token.Split('.')[1]}";

        // The classic confusion attack: HMAC keyed with something public.
        byte[] mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(header["kid"]!.GetValue<string>()), Encoding.ASCII.GetBytes(signingInput));
        string forged = signingInput + "." + System.Buffers.Text.Base64Url.EncodeToString(mac);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.GetAsync("/orders", forged);

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
        Assert.Equal(0, api.Backchannel.JwksFetches);
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidToken_WhenKidUnknownAfterOneRefetch()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);
        Assert.Equal(1, api.Backchannel.JwksFetches);

        var header = Refusal.Header(token);
        header["kid"] = "invented-" + Guid.NewGuid().ToString("N");
        var response = await api.GetAsync("/orders", Refusal.WithHeader(token, header));

        await Refusal.Assert401Async(response, "INVALID_TOKEN", "invalid_token");
        Assert.Equal(2, api.Backchannel.JwksFetches);

        header["kid"] = "invented-" + Guid.NewGuid().ToString("N");
        await Refusal.Assert401Async(await api.GetAsync("/orders", Refusal.WithHeader(token, header)), "INVALID_TOKEN", "invalid_token");
        Assert.Equal(2, api.Backchannel.JwksFetches);
    }

    [Fact]
    public async Task GetOrders_Returns401ExpiredToken_WhenApiClockPastExpPlusSkew()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        long exp = Refusal.Payload(token)["exp"]!.GetValue<long>();
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(exp + 31));
        await using var api = await ProtectedApi.StartAsync(Broker.Url, time: clock);

        var response = await api.GetAsync("/orders", token);

        await Refusal.Assert401Async(response, "EXPIRED_TOKEN", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns200_WhenApiClockPastExpButWithinSkew()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        long exp = Refusal.Payload(token)["exp"]!.GetValue<long>();
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(exp + 20));
        await using var api = await ProtectedApi.StartAsync(Broker.Url, time: clock);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);
    }

    [Fact]
    public async Task GetOrders_Returns401TokenNotYetValid_WhenApiClockBeforeNbfMinusSkew()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        var payload = Refusal.Payload(token);
        long nbf = (payload["nbf"] ?? payload["iat"])!.GetValue<long>();
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(nbf - 60));
        await using var api = await ProtectedApi.StartAsync(Broker.Url, time: clock);

        var response = await api.GetAsync("/orders", token);

        await Refusal.Assert401Async(response, "TOKEN_NOT_YET_VALID", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns401WrongAudience_WhenTokenIsForAnotherPlatform()
    {
        string token = await Broker.TokenAsync(["orders:read"], audience: "billing-api");
        Assert.Contains("billing-api", Refusal.Payload(token)["aud"]!.ToJsonString(), StringComparison.Ordinal);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.GetAsync("/orders", token);

        await Refusal.Assert401Async(response, "WRONG_AUDIENCE", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_Returns401WrongIssuer_WhenApiAcceptsAnotherIssuer()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url, issuer: "http://some-other-broker.test");

        var response = await api.GetAsync("/orders", token);

        await Refusal.Assert401Async(response, "WRONG_ISSUER", "invalid_token");
    }

    [Fact]
    public async Task PostOrders_Returns403MissingScope_WhenTokenOnlyHasRead()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.SendAsync(HttpMethod.Post, "/orders", token);

        var body = await Refusal.AssertAsync(response, HttpStatusCode.Forbidden, "MISSING_SCOPE");
        string challenge = Refusal.WwwAuthenticate(response);
        Assert.StartsWith("Bearer", challenge, StringComparison.Ordinal);
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"orders:write\"", challenge, StringComparison.Ordinal);
        Assert.Equal("orders:write", body["required_scope"]?.GetValue<string>());
    }

    [Fact]
    public async Task PostOrders_Returns201_WhenTokenHasWrite()
    {
        string token = await Broker.TokenAsync(["orders:write"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var response = await api.SendAsync(HttpMethod.Post, "/orders", token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Get_Returns404RouteNotFoundWithSameBody_WhenRouteUnknownOrSkipped()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);

        var unknown = await api.GetAsync("/no/such/route", token);
        var skipped = await api.GetAsync("/internal/debug", token);
        var skippedAnonymous = await api.GetAsync("/internal/debug");

        var a = await Refusal.AssertAsync(unknown, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        var b = await Refusal.AssertAsync(skipped, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        var c = await Refusal.AssertAsync(skippedAnonymous, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        foreach (var json in new[] { b, c })
        {
            Assert.Equal(a.Select(p => p.Key).Order(), json.Select(p => p.Key).Order());
            foreach (string key in new[] { "type", "title", "status", "detail", "error_code", "message" })
            {
                Assert.Equal(a[key]!.ToJsonString(), json[key]!.ToJsonString());
            }
        }

        Assert.DoesNotContain("never reachable", await skipped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(unknown.Headers.WwwAuthenticate);
        Assert.Empty(skipped.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task GetOrders_Returns503JwksUnavailableWithRetryAfter_WhenAuthorityUnreachable()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        int closedPort = FreePort();
        await using var api = await ProtectedApi.StartAsync($"http://127.0.0.1:{closedPort}", configure: o => o.Jwks.FetchTimeout = TimeSpan.FromSeconds(3));

        var response = await api.GetAsync("/orders", token);

        // Changed from 500 (issue 19): the platform cannot verify now, the token may be fine; retry later.
        var body = await Refusal.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "JWKS_UNAVAILABLE");
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Contains($"http://127.0.0.1:{closedPort}/.well-known/jwks.json", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Get_Returns500MiddlewareNotReadyThenServes_WhenScopesFileInvalidThenFixed()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url, scopesYaml: "platform_id: orders-api\nversion: 1\nroutes:\n  - method: get\n    path: /orders\n    scope: orders:read\n");

        await Refusal.AssertAsync(await api.GetAsync("/health"), HttpStatusCode.InternalServerError, "MIDDLEWARE_NOT_READY");
        await Refusal.AssertAsync(await api.GetAsync("/orders", token), HttpStatusCode.InternalServerError, "MIDDLEWARE_NOT_READY");

        await api.WriteScopesAsync(ProtectedApi.SampleScopes);
        var elapsed = await PollUntilAsync(api, "/health", null, r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(3));

        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"the fixed file took {elapsed} to take effect");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);
    }

    [Fact]
    public async Task GetOrders_Returns403AfterEditAndKeepsRules_WhenScopesFileEditedThenBroken()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(Broker.Url);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);

        // 1. /orders now needs orders:admin: the same token is refused without restart.
        string stricter = ProtectedApi.SampleScopes.Replace("path: /orders\n    scope: orders:read", "path: /orders\n    scope: orders:admin", StringComparison.Ordinal)
            .Replace("version: \"1\"", "version: \"2\"", StringComparison.Ordinal);
        Assert.NotEqual(ProtectedApi.SampleScopes, stricter);
        await api.WriteScopesAsync(stricter);
        var elapsed = await PollUntilAsync(api, "/orders", token, r => r.StatusCode == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(3));
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"the edit took {elapsed} to take effect");
        var refused = await api.GetAsync("/orders", token);
        await Refusal.AssertAsync(refused, HttpStatusCode.Forbidden, "MISSING_SCOPE");
        Assert.Contains("scope=\"orders:admin\"", Refusal.WwwAuthenticate(refused), StringComparison.Ordinal);

        // 2. A broken edit: the last good rules (version 2) keep serving.
        await api.WriteScopesAsync("platform_id: orders-api\nroutes: [\n  - method: GET\n");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            await Refusal.AssertAsync(await api.GetAsync("/orders", token), HttpStatusCode.Forbidden, "MISSING_SCOPE");
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
            await Task.Delay(100);
        }

        // 3. And the watcher is still alive: a valid file is picked up again.
        await api.WriteScopesAsync(ProtectedApi.SampleScopes);
        elapsed = await PollUntilAsync(api, "/orders", token, r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(3));
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"the restored file took {elapsed} to take effect");
    }

    [Fact]
    public async Task GetOrders_Refuses1000InventedKidsWithAtMostTwoJwksFetches_WhenFlooded()
    {
        await using var api = await ProtectedApi.StartAsync(Broker.Url);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = TesseraBroker.Issuer,
            ["sub"] = "spiffe://tessera.test/agent/forged",
            ["aud"] = TesseraBroker.Audience,
            ["scope"] = "orders:read",
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 300,
            ["jti"] = "forged",
        };
        var tokens = Enumerable.Range(0, 1000).Select(_ =>
        {
            var header = new JsonObject { ["alg"] = "EdDSA", ["typ"] = "JWT", ["kid"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) };
            return $"{Refusal.Encode(header)}.{Refusal.Encode(payload)}.{System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(64))}";
        }).ToList();

        var results = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string Body)>();
        await Parallel.ForEachAsync(tokens, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (token, ct) =>
        {
            var response = await api.GetAsync("/orders", token);
            results.Add((response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
        });

        Assert.Equal(1000, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.Status);
            Assert.Equal("INVALID_TOKEN", JsonNode.Parse(r.Body)!["error_code"]!.GetValue<string>());
        });
        Assert.InRange(api.Backchannel.JwksFetches, 1, 2);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<TimeSpan> PollUntilAsync(ProtectedApi api, string path, string? token, Func<HttpResponseMessage, bool> done, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var response = await api.GetAsync(path, token);
            if (done(response))
            {
                return watch.Elapsed;
            }

            Assert.True(watch.Elapsed < timeout, $"{path} still answers {(int)response.StatusCode} after {timeout}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(50);
        }
    }
}
