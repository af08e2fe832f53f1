using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Reporting;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Over real HTTP: a real broker issues tokens, an in-process platform verifies them and reports
/// the outcomes to a stub of the broker's enforcement-reports endpoint on its own Kestrel port.
/// </summary>
public sealed class EnforcementReportingTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const string ClientId = "tsr_kid_0123456789abcdef0123456789abcdef";
    private const string ClientSecret = "tsr_sk_reporting-test-secret-9f8e7d6c5b4a";

    private TesseraBroker Broker => fixture.Broker;

    [Fact]
    public async Task Dispose_SendsOneReportWithCoalescedCounts_WhenIdenticalOutcomesRepeat()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        string agent = Refusal.Payload(token)["sub"]!.GetValue<string>();
        await using var receiver = await ReportReceiver.StartAsync();
        var api = await StartApiAsync(receiver);
        long before = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

        await RepeatAsync(20, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await RepeatAsync(10, () => api.SendAsync(HttpMethod.Post, "/orders", token), HttpStatusCode.Forbidden);
        await RepeatAsync(20, () => api.GetAsync("/orders/7", token), HttpStatusCode.OK);
        Assert.Empty(receiver.Reports);
        await api.DisposeAsync();

        var report = Assert.Single(receiver.Reports);
        Assert.Collection(
            report.Events,
            e => AssertEvent(e, agent, "allowed", null, "GET", "/orders", 20),
            e => AssertEvent(e, agent, "denied", "MISSING_SCOPE", "POST", "/orders", 10),
            e => AssertEvent(e, agent, "allowed", null, "GET", "/orders/{id}", 20));
        long at = report.Events[0]["at"]!.GetValue<long>();
        Assert.InRange(at, before, TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Reporter_PostsInTheBackgroundWithFormEncodedBasicCredentials_WhenTheIntervalElapses()
    {
        const string oddId = "platform id:1";
        const string oddSecret = "s3cr3t+/= ü:x%";
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var receiver = await ReportReceiver.StartAsync();
        await using var api = await StartApiAsync(receiver, o =>
        {
            o.ClientId = oddId;
            o.ClientSecret = oddSecret;
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
        });

        await RepeatAsync(5, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await receiver.WaitForOutcomesAsync(5);

        var report = receiver.Reports[0];
        Assert.Equal("application/json", report.ContentType);
        Assert.StartsWith("Basic ", report.Authorization, StringComparison.Ordinal);
        string credentials = Encoding.UTF8.GetString(Convert.FromBase64String(report.Authorization!["Basic ".Length..]));
        int colon = credentials.IndexOf(':', StringComparison.Ordinal);
        Assert.Equal("platform+id%3A1", credentials[..colon]);
        Assert.DoesNotContain(":", credentials[(colon + 1)..], StringComparison.Ordinal);
        Assert.DoesNotContain(" ", credentials, StringComparison.Ordinal);
        Assert.Equal(oddId, WebUtility.UrlDecode(credentials[..colon]));
        Assert.Equal(oddSecret, WebUtility.UrlDecode(credentials[(colon + 1)..]));
        await WaitUntilAsync(() => ReporterOf(api)!.Sent == 5);
    }

    [Fact]
    public async Task Reporter_SplitsReportsAtMaxBatch_WhenOutcomesDoNotCoalesce()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var receiver = await ReportReceiver.StartAsync();
        var api = await StartApiAsync(receiver, o => o.MaxBatch = 7);

        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(i % 2 == 0 ? "/orders" : "/orders/1", token)).StatusCode);
        }

        await api.DisposeAsync();

        Assert.True(receiver.Reports.Count >= 5, $"{receiver.Reports.Count} reports");
        Assert.All(receiver.Reports, r => Assert.InRange(r.Events.Count, 1, 7));
        Assert.Equal(30, receiver.Events.Count);
        Assert.Equal(30, receiver.OutcomeCount);
        Assert.Equal(15, receiver.Events.Count(e => e["route"]!.GetValue<string>() == "/orders/{id}"));
    }

    [Theory]
    [InlineData("id only", ClientId, null)]
    [InlineData("secret only", null, ClientSecret)]
    [InlineData("neither", null, null)]
    public async Task Reporter_SendsNothing_WhenACredentialIsMissing(string name, string? clientId, string? clientSecret)
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var receiver = await ReportReceiver.StartAsync();
        var api = await StartApiAsync(receiver, o =>
        {
            o.ClientId = clientId;
            o.ClientSecret = clientSecret;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
        });

        await RepeatAsync(5, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await RepeatAsync(2, () => api.SendAsync(HttpMethod.Post, "/orders", token), HttpStatusCode.Forbidden);
        Assert.Null(ReporterOf(api));
        await Task.Delay(200);
        await api.DisposeAsync();

        Assert.True(receiver.Reports.Count == 0, name);
    }

    [Fact]
    public async Task Requests_SucceedWhileOverflowIsDroppedAndCounted_WhenTheReceiverIsDown()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        string down = $"http://127.0.0.1:{VerifierIntegrationTests.FreePort()}{ReportReceiver.Path}";
        long droppedMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tessera.AspNetCore" && instrument.Name == "tessera.verifier.reports_dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref droppedMetric, value));
        listener.Start();
        var api = await StartApiAsync(endpoint: down, configure: o =>
        {
            o.MaxBuffered = 5;
            o.MaxRetries = 1;
            o.RetryBackoff = TimeSpan.FromMilliseconds(10);
        });

        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(i % 2 == 0 ? "/orders" : "/orders/1", token)).StatusCode);
        }

        // Full at five alternating events (the last one /orders); from then on every /orders/1
        // outcome is dropped while every /orders outcome still coalesces into the last event.
        var reporter = ReporterOf(api)!;
        Assert.Equal(5, reporter.Buffered);
        Assert.Equal(18, reporter.Dropped);
        await api.DisposeAsync();

        Assert.Equal(0, reporter.Sent);
        Assert.Equal(40, reporter.Dropped);
        Assert.True(Interlocked.Read(ref droppedMetric) >= 40, $"metric {droppedMetric}");
    }

    [Fact]
    public async Task Requests_DoNotWaitAndShutdownIsBounded_WhenTheReceiverHangs()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        await using var receiver = await ReportReceiver.StartAsync();
        receiver.Delay = Timeout.InfiniteTimeSpan;
        var api = await StartApiAsync(receiver, o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.RequestTimeout = TimeSpan.FromMinutes(5);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
        });

        await RepeatAsync(1, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await WaitUntilAsync(() => receiver.Reports.Count > 0);
        await RepeatAsync(20, () => api.SendAsync(HttpMethod.Post, "/orders", token), HttpStatusCode.Forbidden);
        var reporter = ReporterOf(api)!;
        var shutdown = Stopwatch.StartNew();
        await api.DisposeAsync();

        Assert.True(shutdown.Elapsed < TimeSpan.FromSeconds(30), $"shutdown took {shutdown.Elapsed}");
        Assert.Equal(0, reporter.Sent);
        Assert.Equal(21, reporter.Dropped);
    }

    [Fact]
    public async Task Logs_NeverContainTheSecretOrATokenOrTheCredentials_WhenReportsAreRefused()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        string foreign = await Broker.TokenAsync(["orders:read"], audience: "billing-api");
        await using var receiver = await ReportReceiver.StartAsync();
        receiver.Status = 401;
        var logs = new CapturedLogs();
        var api = await StartApiAsync(receiver, o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.MaxRetries = 0;
        }, logging: logs.AddTo);

        await RepeatAsync(3, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await RepeatAsync(2, () => api.SendAsync(HttpMethod.Post, "/orders", token), HttpStatusCode.Forbidden);
        await RepeatAsync(2, () => api.GetAsync("/orders", foreign), HttpStatusCode.Unauthorized);
        await RepeatAsync(1, () => api.GetAsync("/orders", token + "x"), HttpStatusCode.Unauthorized);
        await WaitUntilAsync(() => ReporterOf(api)!.Dropped >= 7);
        await api.DisposeAsync();

        string credentials = receiver.Reports[0].Authorization!["Basic ".Length..];
        Assert.Contains(logs.Lines, l => l.Id.Id == 5203 && l.Text.Contains("HTTP 401", StringComparison.Ordinal));
        foreach (var (_, text) in logs.Lines)
        {
            Assert.DoesNotContain(ClientSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(credentials, text, StringComparison.Ordinal);
            foreach (string t in new[] { token, foreign })
            {
                Assert.DoesNotContain(t.Split('.')[1], text, StringComparison.Ordinal);
                Assert.DoesNotContain(t.Split('.')[2], text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Reporter_ReportsRefusalsOfVerifiedTokensOnly_WithTheTokensAgent()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        string foreign = await Broker.TokenAsync(["orders:read"], audience: "billing-api");
        var payload = Refusal.Payload(token);
        string agent = payload["sub"]!.GetValue<string>();
        string foreignAgent = Refusal.Payload(foreign)["sub"]!.GetValue<string>();
        payload["scope"] = "orders:read orders:write";
        string tampered = Refusal.WithPayload(token, payload);
        await using var receiver = await ReportReceiver.StartAsync();
        var api = await StartApiAsync(receiver);

        await RepeatAsync(1, () => api.GetAsync("/orders", foreign), HttpStatusCode.Unauthorized);
        await RepeatAsync(1, () => api.GetAsync("/orders", tampered), HttpStatusCode.Unauthorized);
        await RepeatAsync(1, () => api.GetAsync("/orders"), HttpStatusCode.Unauthorized);
        await RepeatAsync(1, () => api.GetAsync("/health", foreign), HttpStatusCode.OK);
        await RepeatAsync(1, () => api.GetAsync("/internal/debug", token), HttpStatusCode.NotFound);
        await RevokeAsync(Refusal.Payload(token)["jti"]!.GetValue<string>());
        await WaitUntilAsync(async () => (await api.GetAsync("/orders", token)).StatusCode == HttpStatusCode.Unauthorized);
        await api.DisposeAsync();

        var events = receiver.Events;
        AssertEvent(events[0], foreignAgent, "denied", "WRONG_AUDIENCE", "GET", "/orders", 1);
        Assert.All(events.Skip(1).SkipLast(1), e => AssertEvent(e, agent, "allowed", null, "GET", "/orders", e["count"]!.GetValue<int>()));
        AssertEvent(events[^1], agent, "denied", "TOKEN_REVOKED", "GET", "/orders", 1);
        Assert.InRange(events.Count, 2, 3);
    }

    [Fact]
    public async Task Reporter_ReportsExpiredToken_WithTheTokensAgent()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        var payload = Refusal.Payload(token);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(payload["exp"]!.GetValue<long>() + 31));
        await using var receiver = await ReportReceiver.StartAsync();
        var api = await StartApiAsync(receiver, time: clock);

        await RepeatAsync(3, () => api.GetAsync("/orders/5", token), HttpStatusCode.Unauthorized);
        await api.DisposeAsync();

        var e = Assert.Single(receiver.Events);
        AssertEvent(e, payload["sub"]!.GetValue<string>(), "denied", "EXPIRED_TOKEN", "GET", "/orders/{id}", 3);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), e["at"]!.GetValue<long>());
    }

    [Fact]
    public async Task Reporter_ReportsTheEndpointRouteAndScopeDecision_WhenPoliciesRequireScopes()
    {
        string token = await Broker.TokenAsync(["orders:read"]);
        string foreign = await Broker.TokenAsync(["orders:read"], audience: "billing-api");
        string agent = Refusal.Payload(token)["sub"]!.GetValue<string>();
        await using var receiver = await ReportReceiver.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        using var backchannel = new CountingHandler();
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = Broker.Url;
            o.Audience = TesseraBroker.Audience;
            o.ValidIssuers.Add(TesseraBroker.Issuer);
            o.BackchannelHandler = backchannel;
            Configure(o.Reporting, receiver.Endpoint);
        });
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy("read", p => p.RequireScope("orders:read"));
            o.AddPolicy("write", p => p.RequireScope("orders:write"));
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/items/{id:int}", (int id) => Results.Ok(new { id })).RequireAuthorization("read");
        app.MapPost("/items", () => Results.Created("/items/1", null)).RequireAuthorization("write");
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/items/3", token)).StatusCode);
        await Refusal.AssertAsync(await SendAsync(client, HttpMethod.Post, "/items", token), HttpStatusCode.Forbidden, "MISSING_SCOPE");
        await Refusal.Assert401Async(await SendAsync(client, HttpMethod.Get, "/items/4", foreign), "WRONG_AUDIENCE", "invalid_token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, HttpMethod.Get, "/items/4", null)).StatusCode);
        await app.StopAsync();
        await app.DisposeAsync();

        Assert.Collection(
            receiver.Events,
            e => AssertEvent(e, agent, "allowed", null, "GET", "/items/{id:int}", 1),
            e => AssertEvent(e, agent, "denied", "MISSING_SCOPE", "POST", "/items", 1),
            e => AssertEvent(e, Refusal.Payload(foreign)["sub"]!.GetValue<string>(), "denied", "WRONG_AUDIENCE", "GET", "/items/{id:int}", 1));
    }

    [Fact]
    public async Task Broker_AcceptsTheReportsAndSuspendsTheAgent_After50ReportedMissingScopeDenials()
    {
        await using var broker = await TesseraBroker.StartAsync();
        string admin = await broker.AdminTokenAsync();
        var platform = await AdminAsync(broker, admin, HttpMethod.Post, "/v1/admin/platforms", new
        {
            platform_id = TesseraBroker.Audience,
            name = "Orders",
            hostnames = new[] { "orders.test" },
            scopes = new[] { "orders:read", "orders:write" },
        });
        var agent = await AdminAsync(broker, admin, HttpMethod.Post, "/v1/admin/agents", new { name = "indexer" });
        string keyId = agent["key_id"]!.GetValue<string>();
        await AdminAsync(broker, admin, HttpMethod.Post, $"/v1/admin/agents/{keyId}/grants", new { platform_id = TesseraBroker.Audience, scopes = new[] { "orders:read" } });
        string token = await ExchangeAsync(broker, keyId, agent["secret"]!.GetValue<string>());
        var api = await ProtectedApi.StartAsync(broker.Url, configure: o =>
        {
            o.Reporting.ClientId = platform["client_id"]!.GetValue<string>();
            o.Reporting.ClientSecret = platform["client_secret"]!.GetValue<string>();
            o.Reporting.FlushInterval = TimeSpan.FromMinutes(10);
        });

        await RepeatAsync(1, () => api.GetAsync("/orders", token), HttpStatusCode.OK);
        await RepeatAsync(50, () => api.SendAsync(HttpMethod.Post, "/orders", token), HttpStatusCode.Forbidden);
        var reporter = ReporterOf(api)!;
        Assert.Equal("active", (await AdminAsync(broker, admin, HttpMethod.Get, $"/v1/admin/agents/{keyId}"))["status"]!.GetValue<string>());
        await api.DisposeAsync();

        Assert.Equal(51, reporter.Sent);
        Assert.Equal(0, reporter.Dropped);
        var view = await AdminAsync(broker, admin, HttpMethod.Get, $"/v1/admin/agents/{keyId}");
        Assert.Equal("suspended", view["status"]!.GetValue<string>());
        Assert.Equal(agent["agent_id"]!.GetValue<string>(), Refusal.Payload(token)["sub"]!.GetValue<string>());
    }

    [Fact]
    public async Task Report_MakesValuesAcceptableOrDropsThem_WhenTheBrokerWouldRefuseThem()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        using var http = new HttpClient();
        var options = new EnforcementReportingOptions();
        Configure(options, receiver.Endpoint);
        var reporter = new EnforcementReporter(http, new Uri(receiver.Endpoint), options, TimeProvider.System, NullLogger.Instance);

        reporter.Report(EnforcementOutcome.Allow("spiffe://tessera.test/agent/a", "get", ""));
        reporter.Report(EnforcementOutcome.Allow("spiffe://tessera.test/agent/a", "M-SEARCH", "/" + new string('x', 2000)));
        reporter.Report(EnforcementOutcome.Deny("spiffe://tessera.test/agent/\n", "MISSING_SCOPE", "GET", "/orders"));
        reporter.Report(EnforcementOutcome.Deny("spiffe://tessera.test/agent/\u0007", "MISSING_SCOPE", "GET", "/orders"));
        await reporter.DisposeAsync();

        Assert.Collection(
            receiver.Events,
            e => AssertEvent(e, "spiffe://tessera.test/agent/a", "allowed", null, "GET", "/", 1),
            e => AssertEvent(e, "spiffe://tessera.test/agent/a", "allowed", null, "OTHER", "/" + new string('x', EnforcementOutcome.MaxRouteLength - 1), 1));
        Assert.Equal(2, reporter.Sent);
        Assert.Equal(2, reporter.Dropped);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void Validate_Throws_WhenMaxBatchIsOutOfRange(int maxBatch)
    {
        var options = new TesseraAuthenticationOptions { Authority = "http://broker.test", Audience = "orders-api" };
        options.Reporting.ClientId = ClientId;
        options.Reporting.ClientSecret = ClientSecret;
        options.Reporting.MaxBatch = maxBatch;

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("MaxBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ReadsTheReportingSection_FromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tessera:Audience"] = "orders-api",
            ["Tessera:Reporting:ClientId"] = ClientId,
            ["Tessera:Reporting:ClientSecret"] = ClientSecret,
            ["Tessera:Reporting:FlushInterval"] = "00:00:02",
            ["Tessera:Reporting:MaxBatch"] = "250",
            ["Tessera:Reporting:Endpoint"] = "https://broker.example/v1/enforcement/reports",
        }).Build();
        var options = new TesseraAuthenticationOptions();

        configuration.GetSection("Tessera").Bind(options);

        Assert.True(options.Reporting.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Reporting.FlushInterval);
        Assert.Equal(250, options.Reporting.MaxBatch);
        Assert.Equal(10_000, options.Reporting.MaxBuffered);
        Assert.Equal("https://broker.example/v1/enforcement/reports", options.Reporting.Endpoint);
    }

    private static void Configure(EnforcementReportingOptions reporting, string endpoint)
    {
        reporting.ClientId = ClientId;
        reporting.ClientSecret = ClientSecret;
        reporting.Endpoint = endpoint;

        // Long enough that only a full batch or the final flush on dispose sends, unless a test shortens it.
        reporting.FlushInterval = TimeSpan.FromMinutes(10);
    }

    private Task<ProtectedApi> StartApiAsync(
        ReportReceiver? receiver = null,
        Action<EnforcementReportingOptions>? configure = null,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? logging = null,
        string? endpoint = null) =>
        ProtectedApi.StartAsync(Broker.Url, time: time, logging: logging, configure: o =>
        {
            Configure(o.Reporting, endpoint ?? receiver!.Endpoint);
            configure?.Invoke(o.Reporting);
        });

    private static EnforcementReporter? ReporterOf(ProtectedApi api) =>
        api.Services.GetRequiredService<TesseraVerifierCache>().ReporterOf(TesseraAuthenticationExtensions.DefaultScheme);

    private static void AssertEvent(JsonObject e, string agent, string outcome, string? code, string method, string route, int count)
    {
        Assert.Equal(agent, e["agent_id"]!.GetValue<string>());
        Assert.Equal(outcome, e["outcome"]!.GetValue<string>());
        Assert.Equal(code, e["error_code"]?.GetValue<string>());
        Assert.Equal(code is not null, e.ContainsKey("error_code"));
        Assert.Equal(method, e["method"]!.GetValue<string>());
        Assert.Equal(route, e["route"]!.GetValue<string>());
        Assert.Equal(count, e["count"]!.GetValue<int>());
        Assert.True(e["at"]!.GetValue<long>() > 0);
    }

    private static async Task RepeatAsync(int times, Func<Task<HttpResponseMessage>> send, HttpStatusCode expected)
    {
        for (int i = 0; i < times; i++)
        {
            using var response = await send();
            Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client.SendAsync(request);
    }

    private static async Task<JsonObject> AdminAsync(TesseraBroker broker, string admin, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<string> ExchangeAsync(TesseraBroker broker, string keyId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["resource"] = TesseraBroker.Audience }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(keyId) + ":" + WebUtility.UrlEncode(secret))));
        using var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }

    private async Task RevokeAsync(string jti)
    {
        using var revoke = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "token", target = jti }) };
        revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Broker.AdminTokenAsync());
        using var response = await Broker.Client.SendAsync(revoke);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
