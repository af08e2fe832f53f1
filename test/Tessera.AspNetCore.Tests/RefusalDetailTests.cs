using System.Net;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Every refusal whose fix is a setting names the values to change (issue 19, point 7): in the
/// problem's detail and in one warning line, each value cut to 128 printable characters, and
/// never the token itself.
/// </summary>
public sealed class RefusalDetailTests
{
    [Fact]
    public async Task GetOrders_Returns401InvalidTokenNamingKidJwksUrlAndIssuer_WhenTheTokenComesFromAnotherBroker()
    {
        using var keys = new TestIssuer();
        using var stranger = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://this.broker.test");
        var logs = new CapturedLogs();
        await using var api = await DiscoveryTests.StartApiAsync(broker, logs);
        string token = DiscoveryTests.Sign(stranger, "https://other.broker.test");

        var body = await Refusal.Assert401Async(await api.GetAsync("/orders", token), "INVALID_TOKEN", "invalid_token");

        // The body names the key URL the broker publishes; the log adds where it was fetched (the Authority).
        string expected = $"signing key '{stranger.KeyId}' is not published at https://this.broker.test/.well-known/jwks.json; " +
            "the token's issuer 'https://other.broker.test' (unverified) is not this broker ('https://this.broker.test'): it was issued by another broker";
        Assert.Equal(expected, body["detail"]!.GetValue<string>());
        Assert.Equal(expected, body["message"]!.GetValue<string>());
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5217);
        Assert.StartsWith("Warning", warning.Text, StringComparison.Ordinal);
        Assert.Contains($"{expected} (keys fetched from {broker.Url}/.well-known/jwks.json)", warning.Text, StringComparison.Ordinal);
        AssertNoToken(logs, token);
    }

    [Fact]
    public async Task GetOrders_Returns401InvalidTokenNamingKidAndJwksUrl_WhenTheKeyIsUnknownButTheIssuerIsThisBroker()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://this.broker.test");
        await using var api = await DiscoveryTests.StartApiAsync(broker);
        var header = keys.Header();
        header["kid"] = "retired-key";
        var claims = TestIssuer.Claims();
        claims["iss"] = "https://this.broker.test";

        var body = await Refusal.Assert401Async(await api.GetAsync("/orders", keys.Sign(claims, header)), "INVALID_TOKEN", "invalid_token");

        Assert.Equal(
            "signing key 'retired-key' is not published at https://this.broker.test/.well-known/jwks.json: the key was retired, or the token was not signed by this broker",
            body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetOrders_Returns401WrongIssuerWithTheIssuerCutAndSanitized_WhenTheTokensIssIsAHostile10KbValue()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://this.broker.test");
        var logs = new CapturedLogs();
        await using var api = await DiscoveryTests.StartApiAsync(broker, logs, configure: o => o.MaxTokenLength = 64 * 1024);
        string hostile = "https://evil.test/\u0007\u001b[31m\r\n\u0000\u202e" + new string('x', 10_000);
        string token = DiscoveryTests.Sign(keys, hostile);

        var body = await Refusal.Assert401Async(await api.GetAsync("/orders", token), "WRONG_ISSUER", "invalid_token");

        string printable = ("https://evil.test/[31m" + new string('x', 200))[..128] + "…";
        string detail = body["detail"]!.GetValue<string>();
        Assert.Equal(
            $"token issuer '{printable}' is not accepted; this platform accepts 'https://this.broker.test' (from the broker's metadata at {broker.Url}/.well-known/tessera-configuration)",
            detail);
        Assert.DoesNotContain(detail, c => char.IsControl(c) || c == '\u202e');
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5215);
        Assert.Contains(printable, warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0007', warning.Text);
        Assert.DoesNotContain(new string('x', 129), warning.Text, StringComparison.Ordinal);
        AssertNoToken(logs, token);
    }

    [Fact]
    public async Task GetOrders_Returns401WrongAudienceNamingBoth_WhenTheTokenIsForAnotherPlatform()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://this.broker.test");
        var logs = new CapturedLogs();
        await using var api = await DiscoveryTests.StartApiAsync(broker, logs);
        var claims = TestIssuer.Claims();
        claims["iss"] = "https://this.broker.test";
        claims["aud"] = new JsonArray("billing-api", "reports-api");
        string token = keys.Sign(claims);

        var body = await Refusal.Assert401Async(await api.GetAsync("/orders", token), "WRONG_AUDIENCE", "invalid_token");

        string expected = "token audience 'billing-api', 'reports-api' does not include this platform's audience 'orders-api' (Audience): the token was issued for another platform";
        Assert.Equal(expected, body["detail"]!.GetValue<string>());
        Assert.Contains(logs.Lines, l => l.Id.Id == 5216 && l.Text.StartsWith("Warning", StringComparison.Ordinal) && l.Text.Contains(expected, StringComparison.Ordinal));
        AssertNoToken(logs, token);
    }

    [Fact]
    public async Task GetOrders_Returns503WithRetryAfterAndLogsOneWarningNamingUrlAndCause_WhenTheJwksAnswers500()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.JwksStatus = 500;
        var logs = new CapturedLogs();
        await using var api = await DiscoveryTests.StartApiAsync(broker, logs);
        string token = DiscoveryTests.Sign(keys, broker.Url);

        for (int i = 0; i < 5; i++)
        {
            var response = await api.GetAsync("/orders", token);

            var body = await Refusal.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "JWKS_UNAVAILABLE");
            Assert.Empty(response.Headers.WwwAuthenticate);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            Assert.True(retryAfter is { } wait && wait >= TimeSpan.FromSeconds(1) && wait <= TimeSpan.FromSeconds(30), $"Retry-After {retryAfter}");
            Assert.Contains(broker.Url + "/.well-known/jwks.json", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.True(broker.JwksFetches >= 2, "every request fetched while no key was ever had");
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5218);
        Assert.StartsWith("Warning", warning.Text, StringComparison.Ordinal);
        Assert.Contains(broker.Url + "/.well-known/jwks.json", warning.Text, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", warning.Text, StringComparison.Ordinal);
        AssertNoToken(logs, token);
    }

    [Fact]
    public async Task GetOrders_LogsTheConnectionFailure_WhenTheBrokerIsDown()
    {
        int closedPort = VerifierIntegrationTests.FreePort();
        using var keys = new TestIssuer();
        var logs = new CapturedLogs();
        await using var api = await ProtectedApi.StartAsync($"http://127.0.0.1:{closedPort}", scopesYaml: TestIssuerApi.Scopes, logging: logs.AddTo, configure: o =>
        {
            o.Algorithm = "RS256";
            o.FollowRevocations = false;
        });

        var response = await api.GetAsync("/orders", keys.Sign(TestIssuer.Claims()));

        await Refusal.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "JWKS_UNAVAILABLE");
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5218);
        Assert.Contains($"http://127.0.0.1:{closedPort}/.well-known/jwks.json", warning.Text, StringComparison.Ordinal);
        Assert.Contains("connection failed", warning.Text, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Id.Id == 5213);
    }

    [Fact]
    public async Task Get_LogsRouteNotFoundAtDebugWithMethodAndCutPath_WhenNoRuleMatches()
    {
        using var keys = new TestIssuer();
        var logs = new CapturedLogs();
        await using var api = await ProtectedApi.StartAsync(TestIssuer.Url, TestIssuer.Url, TestIssuerApi.Scopes, logging: logs.AddTo, configure: keys.Configure);
        string path = "/nope%09tab/" + new string('p', 300);

        await Refusal.AssertAsync(await api.GetAsync(path), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        await Refusal.AssertAsync(await api.GetAsync("/internal/debug"), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");

        var lines = logs.Lines.Where(l => l.Id.Id == 5219).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("Debug", l.Text, StringComparison.Ordinal));
        string cut = ("/nopetab/" + new string('p', 300))[..128] + "…";
        Assert.Contains($"ROUTE_NOT_FOUND for GET {cut}: no rule matches", lines[0].Text, StringComparison.Ordinal);
        Assert.Contains("ROUTE_NOT_FOUND for GET /internal/debug: its rule says skip", lines[1].Text, StringComparison.Ordinal);
    }

    private static void AssertNoToken(CapturedLogs logs, string token)
    {
        string signature = token[(token.LastIndexOf('.') + 1)..];
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains(token, StringComparison.Ordinal) || l.Text.Contains(signature, StringComparison.Ordinal));
    }
}
