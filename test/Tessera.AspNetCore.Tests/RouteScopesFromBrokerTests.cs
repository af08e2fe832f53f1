using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Issue 19, point 3: a platform whose routes live at the broker (<c>UseTesseraRouteScopesFromBroker</c>),
/// over real HTTP against a real broker whose feed requires the platform's credentials.
/// </summary>
public sealed class RouteScopesFromBrokerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Requests_AreJudgedByTheBrokersRoutes_WhenTheRoutesComeFromTheBroker()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        var platform = await CreatePlatformAsync(broker, Route("GET", "/health", isPublic: true), Route("GET", "/orders", "orders:read"));
        await using var api = await StartApiAsync(broker, platform, Long);
        await WaitReadyAsync(api);
        string reader = await broker.TokenAsync(["orders:read"]);

        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/orders", reader)).StatusCode);
        await Refusal.Assert401Async(await api.SendAsync(HttpMethod.Get, "/orders"), "MISSING_TOKEN", null);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/orders/1", reader), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Post, "/orders", reader), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        Assert.Contains(api.Logs.Lines, l => l.Id.Id == 5011 && l.Text.Contains("/v1/platforms/orders-api/scopes-file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARouteAddedAtTheBroker_TakesEffectInTheRunningPlatform_LongBeforeTheRefreshInterval()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        string admin = await broker.AdminTokenAsync();
        var platform = await CreatePlatformAsync(broker, Route("GET", "/orders", "orders:read"));
        await using var api = await StartApiAsync(broker, platform, Long);
        await WaitReadyAsync(api);
        string writer = await broker.TokenAsync(["orders:write"]);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Post, "/orders", writer), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        int fetches = api.Backchannel.ScopesFileFetches;

        await PutRoutesAsync(broker, admin, Route("GET", "/orders", "orders:read"), Route("POST", "/orders", "orders:write"));

        // The interval is ten minutes: only the feed's routes event can bring the change this soon.
        await EventuallyAsync(async () => (await api.SendAsync(HttpMethod.Post, "/orders", writer)).StatusCode == HttpStatusCode.Created, "the new POST /orders route is enforced");
        Assert.True(api.Backchannel.ScopesFileFetches > fetches);
        string reader = await broker.TokenAsync(["orders:read"]);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Post, "/orders", reader), HttpStatusCode.Forbidden, "MISSING_SCOPE");
    }

    [Fact]
    public async Task WrongPlatformCredentials_LeaveTheRoutesNotReady_AndLogThe401WithTheUrl_ButNotTheSecret()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        var platform = await CreatePlatformAsync(broker, Route("GET", "/health", isPublic: true));
        const string wrongSecret = "tsr_sk_wrong-secret-that-must-not-be-logged";
        await using var api = await BrokerRoutesApi.StartAsync(broker.Url, platform.ClientId, wrongSecret, Long);

        await EventuallyAsync(() => Task.FromResult(api.Logs.Lines.Any(l => l.Id.Id == 5012)), "the refusal is logged");
        var refusal = api.Logs.Lines.First(l => l.Id.Id == 5012).Text;
        Assert.Contains(broker.Url + "/v1/platforms/orders-api/scopes-file", refusal, StringComparison.Ordinal);
        Assert.Contains("401", refusal, StringComparison.Ordinal);
        Assert.Contains("Tessera:ClientSecret", refusal, StringComparison.Ordinal);
        Assert.StartsWith("Error", refusal, StringComparison.Ordinal);
        var body = await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/health"), HttpStatusCode.InternalServerError, "MIDDLEWARE_NOT_READY");
        Assert.Contains("HTTP 401", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(api.Logs.Lines, l => l.Text.Contains(wrongSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnotherPlatformsCredentials_LeaveTheRoutesNotReady_AndAreLoggedAsRefused()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        var other = await BrokerAdmin.PostAsync(broker, await broker.AdminTokenAsync(), "/v1/admin/platforms", new JsonObject
        {
            ["platform_id"] = "billing-api",
            ["hostnames"] = new JsonArray("billing.test"),
            ["scopes"] = new JsonArray("billing:read"),
        });

        // orders-api is not registered; billing-api's credentials are judged against the path's platform first.
        await using var api = await BrokerRoutesApi.StartAsync(broker.Url, other["client_id"]!.GetValue<string>(), other["client_secret"]!.GetValue<string>(), Long);

        await EventuallyAsync(() => Task.FromResult(api.Logs.Lines.Any(l => l.Id.Id == 5012)), "the refusal is logged");
        Assert.Contains("HTTP 401", api.Logs.Lines.First(l => l.Id.Id == 5012).Text, StringComparison.Ordinal);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/health"), HttpStatusCode.InternalServerError, "MIDDLEWARE_NOT_READY");
    }

    [Fact]
    public async Task TheBrokerGoingDown_AfterTheFirstLoad_KeepsTheLastGoodRoutes()
    {
        var broker = await TesseraBroker.StartAsync(publicFeed: false);
        var platform = await CreatePlatformAsync(broker, Route("GET", "/health", isPublic: true), Route("GET", "/orders", "orders:read"));
        await using var api = await StartApiAsync(broker, platform, TimeSpan.FromMilliseconds(200));
        await WaitReadyAsync(api);
        string reader = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/orders", reader)).StatusCode);

        await broker.DisposeAsync();

        await EventuallyAsync(() => Task.FromResult(api.Logs.Lines.Any(l => l.Id.Id == 5013 && l.Text.Contains("keeping the last good version", StringComparison.Ordinal))), "the failed fetch is logged");
        Assert.StartsWith("Warning", api.Logs.Lines.First(l => l.Id.Id == 5013).Text, StringComparison.Ordinal);

        // Asked again and again (the retry starts at the 200 ms interval), the same cause is logged once a minute.
        int fetches = api.Backchannel.ScopesFileFetches;
        await EventuallyAsync(() => Task.FromResult(api.Backchannel.ScopesFileFetches >= fetches + 3), "the broker is asked again");
        Assert.Single(api.Logs.Lines, l => l.Id.Id == 5013);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/orders", reader)).StatusCode);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/orders/1", reader), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
    }

    [Fact]
    public async Task AnInvalidScopesFile_KeepsTheLastGoodRoutes_AndIsLogged()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        string admin = await broker.AdminTokenAsync();
        var platform = await CreatePlatformAsync(broker, Route("GET", "/orders", "orders:read"));
        await using var api = await StartApiAsync(broker, platform, Long);
        await WaitReadyAsync(api);
        string reader = await broker.TokenAsync(["orders:read"]);

        api.Backchannel.Tamper = "platform_id: orders-api\nversion: 2\nroutes:\n  - method: GET\n    path: /orders/{id}\n";
        await PutRoutesAsync(broker, admin, Route("GET", "/orders", "orders:read"), Route("GET", "/orders/{id}", "orders:read"));

        await EventuallyAsync(() => Task.FromResult(api.Logs.Lines.Any(l => l.Id.Id == 5013 && l.Text.Contains("invalid", StringComparison.Ordinal))), "the invalid file is logged");
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/orders", reader)).StatusCode);
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/orders/1", reader), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
    }

    [Fact]
    public async Task AScopesFileOfAnotherPlatform_IsRefused_AndTheLastGoodRoutesKept()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        string admin = await broker.AdminTokenAsync();
        var platform = await CreatePlatformAsync(broker, Route("GET", "/orders", "orders:read"));
        await using var api = await StartApiAsync(broker, platform, Long);
        await WaitReadyAsync(api);

        api.Backchannel.Tamper = "platform_id: billing-api\nversion: 9\nroutes:\n  - method: GET\n    path: /orders/{id}\n    public: true\n";
        await PutRoutesAsync(broker, admin, Route("GET", "/orders", "orders:read"), Route("GET", "/orders/{id}", "orders:read"));

        await EventuallyAsync(() => Task.FromResult(api.Logs.Lines.Any(l => l.Id.Id == 5013 && l.Text.Contains("billing-api", StringComparison.Ordinal))), "the foreign file is logged");
        await Refusal.AssertAsync(await api.SendAsync(HttpMethod.Get, "/orders/1"), HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
    }

    [Fact]
    public async Task UnchangedRoutes_AreRevalidatedWith304_AndKeepServing()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        var platform = await CreatePlatformAsync(broker, Route("GET", "/health", isPublic: true));
        await using var api = await StartApiAsync(broker, platform, TimeSpan.FromMilliseconds(100));
        await WaitReadyAsync(api);

        await EventuallyAsync(() => Task.FromResult(api.Backchannel.NotModified >= 4), "the file is revalidated with 304s");

        Assert.Single(api.Logs.Lines, l => l.Id.Id == 5011);
        Assert.DoesNotContain(api.Logs.Lines, l => l.Id.Id is 5012 or 5013 or 5014);
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Get, "/health")).StatusCode);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("tsr_kid_x", null)]
    public void UseTesseraRouteScopesFromBroker_Throws_WhenThePlatformCredentialsAreMissing(string? clientId, string? clientSecret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = "http://127.0.0.1:1";
            o.Audience = TesseraBroker.Audience;
            o.Reporting.ClientId = null;
            o.FollowRevocations = false;
            if (clientId is not null)
            {
                // Half a pair fails the scheme's own validation first, which also names both settings.
                o.ClientId = clientId;
            }

            o.ClientSecret = clientSecret;
        });
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.UseTesseraRouteScopesFromBroker());

        Assert.Contains("ClientId", error.Message, StringComparison.Ordinal);
        Assert.Contains("ClientSecret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseTesseraRouteScopesFromBroker_Throws_WhenOnlyAJwksUriIsSet()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.JwksUri = "https://broker.example/.well-known/jwks.json";
            o.Audience = TesseraBroker.Audience;
            o.ClientId = "tsr_kid_x";
            o.ClientSecret = "tsr_sk_y";
        });
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.UseTesseraRouteScopesFromBroker());

        Assert.Contains("Authority", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject Route(string method, string path, string? scope = null, bool isPublic = false)
    {
        var route = new JsonObject { ["method"] = method, ["path"] = path };
        if (isPublic)
        {
            route["public"] = true;
        }
        else
        {
            route["scope"] = scope;
        }

        return route;
    }

    private static async Task<(string ClientId, string ClientSecret)> CreatePlatformAsync(TesseraBroker broker, params JsonObject[] routes)
    {
        var platform = await BrokerAdmin.PostAsync(broker, await broker.AdminTokenAsync(), "/v1/admin/platforms", new JsonObject
        {
            ["platform_id"] = TesseraBroker.Audience,
            ["name"] = "Orders",
            ["hostnames"] = new JsonArray("orders.test"),
            ["scopes"] = new JsonArray("orders:read", "orders:write"),
            ["routes"] = new JsonArray([.. routes]),
        });
        return (platform["client_id"]!.GetValue<string>(), platform["client_secret"]!.GetValue<string>());
    }

    private static async Task PutRoutesAsync(TesseraBroker broker, string admin, params JsonObject[] routes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/admin/platforms/" + TesseraBroker.Audience)
        {
            Content = System.Net.Http.Json.JsonContent.Create(new JsonObject { ["routes"] = new JsonArray([.. routes]) }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var response = await broker.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task<BrokerRoutesApi> StartApiAsync(TesseraBroker broker, (string ClientId, string ClientSecret) platform, TimeSpan refreshInterval) =>
        BrokerRoutesApi.StartAsync(broker.Url, platform.ClientId, platform.ClientSecret, refreshInterval);

    /// <summary>Until the first load, every request is MIDDLEWARE_NOT_READY; after it, never again.</summary>
    private static Task WaitReadyAsync(BrokerRoutesApi api) =>
        EventuallyAsync(async () => (await api.SendAsync(HttpMethod.Get, "/nothing-here")).StatusCode == HttpStatusCode.NotFound, "the routes are loaded from the broker");

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Patience, $"not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(25);
        }
    }
}
