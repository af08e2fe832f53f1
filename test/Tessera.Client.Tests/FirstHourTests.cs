using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>
/// The first hour of a new user, black box over real HTTP: a broker started without an issuer on a
/// port of its own choosing, the sample platform (its own process) given the broker's URL and its
/// credentials but no issuer, and an agent with standing credentials calling it through the SDK;
/// then the same behind a reverse proxy whose public URL is the issuer while the platform reaches the
/// broker by its internal URL; and a token from another broker, refused naming why.
/// </summary>
public sealed class FirstHourTests
{
    [Fact]
    public async Task AgentCalls_Succeed_WhenTheBrokerHasNoIssuerAndThePlatformOnlyItsUrl()
    {
        await using var broker = await LoopbackBroker.StartAsync(NoIssuer);
        var metadata = await broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/tessera-configuration");
        Assert.Equal(broker.Url, metadata!["issuer"]!.GetValue<string>());

        await using var platform = await StartSamplePlatformAsync(broker, brokerUrlForPlatform: broker.Url);
        var agent = await broker.CreateCredentialAgentAsync(["orders:read", "orders:write"]);

        await AssertAgentCallsSucceedAsync(broker.BaseAddress, platform, agent, expectedIssuer: broker.Url);
    }

    [Fact]
    public async Task AgentCalls_Succeed_BehindAReverseProxy_WhenThePlatformReachesTheBrokerByItsInternalUrl()
    {
        await using var proxy = await LoopbackProxy.StartAsync();
        string publicUrl = proxy.Url.ToString().TrimEnd('/');
        var settings = new Dictionary<string, string?>(NoIssuer) { ["issuer"] = publicUrl };
        await using var broker = await LoopbackBroker.StartAsync(settings);
        proxy.Target = broker.BaseAddress;

        await using var platform = await StartSamplePlatformAsync(broker, brokerUrlForPlatform: broker.Url);
        var agent = await broker.CreateCredentialAgentAsync(["orders:read", "orders:write"]);
        int before = proxy.Forwarded;

        await AssertAgentCallsSucceedAsync(proxy.Url, platform, agent, expectedIssuer: publicUrl);
        Assert.True(proxy.Forwarded > before, "the agent reached the broker through the proxy");
    }

    [Fact]
    public async Task TokenFromAnotherBroker_IsRefused_NamingTheKeyAndTheOtherIssuer()
    {
        await using var broker = await LoopbackBroker.StartAsync(NoIssuer);
        await using var platform = await StartSamplePlatformAsync(broker, brokerUrlForPlatform: broker.Url);
        await using var other = await LoopbackBroker.StartAsync(NoIssuer);
        await other.CreatePlatformAsync();
        var stranger = await other.CreateCredentialAgentAsync(["orders:read"]);
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = other.BaseAddress, KeyId = stranger.KeyId, Secret = stranger.Secret });
        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);
        Assert.Equal(other.Url, Wait.Payload(token)["iss"]!.GetValue<string>());

        using var client = new HttpClient { BaseAddress = platform.Url };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, text + "\n" + platform.Process.Output);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("INVALID_TOKEN", body["error_code"]!.GetValue<string>());
        string detail = body["detail"]!.GetValue<string>();
        Assert.Contains("is not published at", detail, StringComparison.Ordinal);
        Assert.Contains($"'{other.Url}'", detail, StringComparison.Ordinal);
        Assert.Contains($"'{broker.Url}'", detail, StringComparison.Ordinal);
        Assert.Contains("another broker", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, platform.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RouteAddedAtTheBroker_ReachesTheRunningSamplePlatform_WithoutARestart()
    {
        await using var broker = await LoopbackBroker.StartAsync(NoIssuer);
        await using var platform = await StartSamplePlatformAsync(broker, brokerUrlForPlatform: broker.Url, routesFromBroker: true);
        var agent = await broker.CreateCredentialAgentAsync(["orders:read"]);
        using var tokens = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = agent.KeyId, Secret = agent.Secret });
        string token = await tokens.GetTokenAsync(LoopbackBroker.Platform);
        using var client = new HttpClient { BaseAddress = platform.Url };

        // The platform was registered with its health route only: GET /orders is unlisted.
        await Wait.UntilAsync(async () => await ErrorCodeAsync(client, token) == "ROUTE_NOT_FOUND", "the sample platform loads the broker's routes", seconds: 30);

        await broker.AdminAsync(HttpMethod.Put, "/v1/admin/platforms/" + LoopbackBroker.Platform, new JsonObject
        {
            ["routes"] = new JsonArray(new JsonObject { ["method"] = "GET", ["path"] = "/orders", ["scope"] = "orders:read" }),
        });

        // The feed's routes event brings the change; the periodic revalidation (30 s) is not waited for.
        await Wait.UntilAsync(async () => await ErrorCodeAsync(client, token) == "200", "GET /orders allowed after the route was added at the broker", seconds: 20);
    }

    private static async Task<string> ErrorCodeAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        string text = await response.Content.ReadAsStringAsync();
        return text.StartsWith('{') ? JsonNode.Parse(text)?["error_code"]?.GetValue<string>() ?? text : text;
    }

    /// <summary>A broker of its own that keeps its default: no issuer configured, an authenticated revocation feed.</summary>
    private static readonly Dictionary<string, string?> NoIssuer = new()
    {
        ["issuer"] = null,
        ["public_revocation_feed"] = "false",
    };

    private static async Task AssertAgentCallsSucceedAsync(Uri brokerUrl, SamplePlatform platform, CredentialAgentInfo info, string expectedIssuer)
    {
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = brokerUrl, KeyId = info.KeyId, Secret = info.Secret });
        var options = new TesseraHandlerOptions();
        options.AllowedOrigins.Add(platform.Url);
        using var client = new HttpClient(new TesseraTokenHandler(agent, options) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = platform.Url };

        using var created = await client.PostAsJsonAsync("/orders", new { item = "paper" });
        string createdText = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, createdText + "\n" + platform.Process.Output);
        Assert.Equal(info.AgentId, JsonNode.Parse(createdText)!["createdBy"]!.GetValue<string>());

        using var listed = await client.GetAsync("/orders");
        string listedText = await listed.Content.ReadAsStringAsync();
        Assert.True(listed.StatusCode == HttpStatusCode.OK, listedText + "\n" + platform.Process.Output);
        Assert.Equal(info.AgentId, JsonNode.Parse(listedText)!["agent"]!.GetValue<string>());

        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);
        Assert.Equal(expectedIssuer, Wait.Payload(token)["iss"]!.GetValue<string>());
        Assert.DoesNotContain("WRONG_ISSUER", platform.Process.Output, StringComparison.Ordinal);
    }

    /// <summary>samples/PlatformApi as its own process: the broker URL, its platform id and credentials, nothing about the issuer.</summary>
    private static async Task<SamplePlatform> StartSamplePlatformAsync(LoopbackBroker broker, string brokerUrlForPlatform, bool routesFromBroker = false)
    {
        // Following its routes at the broker, the platform answers only what they list: its health route among them.
        var created = routesFromBroker
            ? await broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", new JsonObject
            {
                ["platform_id"] = LoopbackBroker.Platform,
                ["hostnames"] = new JsonArray("127.0.0.1"),
                ["scopes"] = new JsonArray("orders:read", "orders:write"),
                ["routes"] = new JsonArray(new JsonObject { ["method"] = "GET", ["path"] = "/health", ["public"] = true }),
            })
            : await broker.CreatePlatformAsync();
        var url = new Uri($"http://127.0.0.1:{SampleProcess.FreePort()}");
        var environment = new Dictionary<string, string>
        {
            ["TESSERA_BROKER"] = brokerUrlForPlatform,
            ["TESSERA_PLATFORM_ID"] = LoopbackBroker.Platform,
            ["TESSERA_PLATFORM_CLIENT_ID"] = created["client_id"]!.GetValue<string>(),
            ["TESSERA_PLATFORM_CLIENT_SECRET"] = created["client_secret"]!.GetValue<string>(),
        };
        if (routesFromBroker)
        {
            environment["TESSERA_ROUTES"] = "broker";
        }

        var process = SampleProcess.Start(SampleProcess.NextToTests("PlatformApi.dll"), environment, "--urls", url.ToString());
        await process.WaitForHealthAsync(new Uri(url, "/health"));
        return new SamplePlatform(process, url);
    }

    private sealed record SamplePlatform(SampleProcess Process, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}
