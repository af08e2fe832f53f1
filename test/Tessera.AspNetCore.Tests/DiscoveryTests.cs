using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Discovery over real HTTP (issue 19, point 1): the broker's metadata names the issuer to accept
/// and where the keys are, unless the options pin them; a broker without the document, or one
/// pointing at plain http, leaves the Authority's defaults.
/// </summary>
public sealed class DiscoveryTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task GetOrders_Returns200_WhenTheRealBrokersIssuerDiffersFromTheAuthority()
    {
        // The broker listens on a loopback port but its issuer is http://tessera.test: before
        // discovery every token was WRONG_ISSUER at a platform given the listening URL.
        var broker = fixture.Broker;
        string token = await broker.TokenAsync(["orders:read"]);
        var logs = new CapturedLogs();
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o => o.ValidIssuers.Clear(), logging: logs.AddTo);

        var response = await api.GetAsync("/orders", token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Contains(logs.Lines, l => l.Id.Id == 5214 && l.Text.Contains("'http://tessera.test'", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Id.Id == 5210);
    }

    [Fact]
    public async Task GetOrders_Returns401WrongIssuerNamingBoth_WhenDiscoveryIsOffAndTheAuthorityIsNotTheIssuer()
    {
        var broker = fixture.Broker;
        string token = await broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o =>
        {
            o.ValidIssuers.Clear();
            o.Discovery = false;
        });

        var body = await Refusal.Assert401Async(await api.GetAsync("/orders", token), "WRONG_ISSUER", "invalid_token");

        Assert.Equal(
            $"token issuer 'http://tessera.test' is not accepted; this platform accepts '{broker.Url}' (the Authority; discovery is off)",
            body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetOrders_Returns200_WhenTheMetadataIssuerAndKeysAreAtAnotherPortThanTheAuthority()
    {
        // The 9000/8080 case: nothing listens at the issuer's port; the keys are fetched through the Authority.
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("http://127.0.0.1:8080");
        await using var api = await StartApiAsync(broker);

        var response = await api.GetAsync("/orders", Sign(keys, "http://127.0.0.1:8080"));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(1, broker.MetadataFetches);
        Assert.Equal(1, broker.JwksFetches);
        await Refusal.Assert401Async(await api.GetAsync("/orders", Sign(keys, broker.Url)), "WRONG_ISSUER", "invalid_token");
    }

    [Fact]
    public async Task GetOrders_PinnedIssuerWinsAndOneWarningNamesBoth_WhenTheMetadataNamesAnotherIssuer()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://public.broker.test");
        var logs = new CapturedLogs();
        await using var api = await StartApiAsync(broker, logs, configure: o =>
        {
            o.ValidIssuers.Add("https://pinned.broker.test");
            o.Jwks.UnknownKeyCooldown = TimeSpan.Zero;
        });

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, "https://pinned.broker.test"))).StatusCode);
        var refused = await Refusal.Assert401Async(await api.GetAsync("/orders", Sign(keys, "https://public.broker.test")), "WRONG_ISSUER", "invalid_token");

        // An unknown kid makes the cache fetch again (metadata included): still one warning.
        var header = keys.Header();
        header["kid"] = "unknown-kid";
        await api.GetAsync("/orders", keys.Sign(TestIssuer.Claims(), header));
        Assert.True(broker.MetadataFetches >= 2, $"metadata read {broker.MetadataFetches} times");
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5208);
        Assert.StartsWith("Warning", warning.Text, StringComparison.Ordinal);
        Assert.Contains("'https://pinned.broker.test'", warning.Text, StringComparison.Ordinal);
        Assert.Contains("'https://public.broker.test'", warning.Text, StringComparison.Ordinal);
        Assert.Equal(
            "token issuer 'https://public.broker.test' is not accepted; this platform accepts 'https://pinned.broker.test' (pinned in ValidIssuers)",
            refused["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetOrders_FallsBackToTheAuthority_WhenTheBrokerHasNoMetadata()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        var logs = new CapturedLogs();
        await using var api = await StartApiAsync(broker, logs);

        var response = await api.GetAsync("/orders", Sign(keys, broker.Url));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var info = Assert.Single(logs.Lines, l => l.Id.Id == 5212);
        Assert.StartsWith("Information", info.Text, StringComparison.Ordinal);
        Assert.Contains(broker.Url + "/.well-known/jwks.json", info.Text, StringComparison.Ordinal);
        var refused = await Refusal.Assert401Async(await api.GetAsync("/orders", Sign(keys, "https://elsewhere.test")), "WRONG_ISSUER", "invalid_token");
        Assert.Contains($"the broker publishes no metadata at {broker.Url}/.well-known/tessera-configuration", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_RefusesThePlainHttpJwksUriWithAWarning_WhenItPointsAtANonLoopbackHost()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://broker.example", "http://keys.example.com/jwks.json");
        var logs = new CapturedLogs();
        await using var api = await StartApiAsync(broker, logs);

        var response = await api.GetAsync("/orders", Sign(keys, "https://broker.example"));

        // The issuer is taken; the keys stay at the Authority's default.
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(1, broker.JwksFetches);
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5210);
        Assert.StartsWith("Warning", warning.Text, StringComparison.Ordinal);
        Assert.Contains("'http://keys.example.com/jwks.json'", warning.Text, StringComparison.Ordinal);
        Assert.Contains("AllowInsecureHttp", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_FollowsTheNewIssuerAndForgetsCachedTokens_WhenTheMetadataChangesByTheNextRefresh()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://old.broker.test");
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var api = await StartApiAsync(broker, time: clock, configure: o => o.Jwks.RefreshInterval = TimeSpan.FromMinutes(1));
        string old = Sign(keys, "https://old.broker.test");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", old)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", old)).StatusCode);

        broker.Metadata = MetadataBroker.Document("https://new.broker.test");
        clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, "https://new.broker.test"))).StatusCode);
        Assert.Equal(2, broker.MetadataFetches);

        // The old token was in the verified-token cache: it must not be served under the new issuer set.
        var refused = await Refusal.Assert401Async(await api.GetAsync("/orders", old), "WRONG_ISSUER", "invalid_token");
        Assert.Contains("accepts 'https://new.broker.test' (from the broker's metadata at", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_KeepsTheLastGoodMetadata_WhenALaterReadFails()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://kept.broker.test");
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var logs = new CapturedLogs();
        await using var api = await StartApiAsync(broker, logs, clock, o => o.Jwks.RefreshInterval = TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, "https://kept.broker.test"))).StatusCode);

        broker.MetadataStatus = 500;
        clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, "https://kept.broker.test"))).StatusCode);
        Assert.Equal(2, broker.MetadataFetches);
        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5213);
        Assert.Contains("HTTP 500", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_IgnoresTheMetadataIssuer_WhenItIsNotAnAbsoluteUrlOrTooLong()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = new JsonObject { ["issuer"] = "https://x.test/" + new string('a', 600) };
        var logs = new CapturedLogs();
        await using var api = await StartApiAsync(broker, logs);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, broker.Url))).StatusCode);

        var warning = Assert.Single(logs.Lines, l => l.Id.Id == 5211);
        Assert.Contains("…'", warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('a', 200), warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrders_NeverReadsTheMetadata_WhenDiscoveryIsOff()
    {
        using var keys = new TestIssuer();
        await using var broker = await MetadataBroker.StartAsync(keys);
        broker.Metadata = MetadataBroker.Document("https://public.broker.test");
        await using var api = await StartApiAsync(broker, configure: o => o.Discovery = false);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", Sign(keys, broker.Url))).StatusCode);
        await Refusal.Assert401Async(await api.GetAsync("/orders", Sign(keys, "https://public.broker.test")), "WRONG_ISSUER", "invalid_token");

        Assert.Equal(0, broker.MetadataFetches);
        Assert.Equal(1, broker.JwksFetches);
    }

    [Fact]
    public void VerifiedTokenCache_DropsAResultReachedBeforeAClear_WhenAddedAfterIt()
    {
        var cache = new VerifiedTokenCache(10);
        var claims = new Tessera.Tokens.AccessTokenClaims
        {
            Issuer = "https://old.test", Subject = "spiffe://t/agent/a", Audience = ["orders-api"], ExpiresAt = long.MaxValue / 2,
            NotBefore = 0, IssuedAt = 0, JwtId = "j", Scope = [],
        };
        long before = cache.Generation;

        cache.Clear();
        cache.Add("token", claims, before);

        Assert.False(cache.TryGet("token", 0, 0, out _));
        cache.Add("token", claims, cache.Generation);
        Assert.True(cache.TryGet("token", 0, 0, out _));
    }

    internal static Task<ProtectedApi> StartApiAsync(
        MetadataBroker broker, CapturedLogs? logs = null, TimeProvider? time = null, Action<TesseraAuthenticationOptions>? configure = null) =>
        ProtectedApi.StartAsync(broker.Url, scopesYaml: TestIssuerApi.Scopes, time: time, logging: logs is null ? null : logs.AddTo, configure: o =>
        {
            o.ValidIssuers.Clear();
            o.Algorithm = "RS256";
            o.FollowRevocations = false;
            configure?.Invoke(o);
        });

    internal static string Sign(TestIssuer keys, string issuer, string audience = TesseraBroker.Audience)
    {
        var claims = TestIssuer.Claims(audience: audience);
        claims["iss"] = issuer;
        return keys.Sign(claims);
    }
}
