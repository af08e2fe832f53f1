using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>
/// The credential agent finds the token endpoint in the broker's metadata
/// (<c>/.well-known/tessera-configuration</c>), keeps it, falls back to <c>{broker}/v1/token</c> on a
/// 404, and never sends the secret to another origin than the broker's.
/// </summary>
public sealed class TokenEndpointDiscoveryTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    private const string MetadataPath = "/.well-known/tessera-configuration";

    [Fact]
    public async Task GetTokenEndpointAsync_RebasesTheIssuersEndpointOnTheBrokerUrl_AndAsksOnce_WhenTheIssuerDiffersFromTheUrl()
    {
        // The test broker's issuer is http://tessera.test: its metadata names http://tessera.test/v1/token.
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);

        Uri endpoint = await agent.GetTokenEndpointAsync();
        await agent.GetTokenAsync(LoopbackBroker.Platform);
        await agent.GetTokenEndpointAsync();

        Assert.Equal(new Uri(env.BrokerUrl, "/v1/token"), endpoint);
        Assert.Equal(1, counter[MetadataPath]);
        Assert.Equal(1, counter["/v1/token"]);
    }

    [Fact]
    public async Task GetTokenAsync_MintsAtTheEndpointTheMetadataNames_WhenItIsOnTheBrokersOrigin()
    {
        await using var broker = await StubServer.StartAsync(context => context.Request.Path.Value switch
        {
            MetadataPath => Json(context, $$"""{"issuer":"https://tessera.example.com","token_endpoint":"{{Origin(context)}}/oauth/token"}"""),
            "/oauth/token" => Json(context, """{"access_token":"minted-at-oauth","token_type":"Bearer","expires_in":900}"""),
            _ => NotFound(context),
        });
        using var agent = Agent(broker.BaseAddress);

        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);

        Assert.Equal("minted-at-oauth", token);
        Assert.Equal([MetadataPath, "/oauth/token"], broker.Requests.Select(r => r.Path));
        Assert.StartsWith("Basic ", broker.Requests[1].Headers["Authorization"], StringComparison.Ordinal);
        Assert.False(broker.Requests[0].Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task GetTokenAsync_FallsBackToV1Token_WhenTheBrokerServesNoMetadata()
    {
        await using var broker = await StubServer.StartAsync(context => context.Request.Path.Value switch
        {
            "/v1/token" => Json(context, """{"access_token":"minted-at-v1","token_type":"Bearer","expires_in":900}"""),
            _ => NotFound(context),
        });
        using var agent = Agent(broker.BaseAddress);

        Assert.Equal("minted-at-v1", await agent.GetTokenAsync(LoopbackBroker.Platform));
        Assert.Equal(new Uri(broker.BaseAddress, "v1/token"), await agent.GetTokenEndpointAsync());
        Assert.Equal([MetadataPath, "/v1/token"], broker.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task GetTokenAsync_RefusesWithoutSendingTheSecret_WhenTheMetadataNamesAnotherOrigin()
    {
        await using var elsewhere = await StubServer.StartAsync(context => Json(context, """{"access_token":"stolen","expires_in":900}"""));
        await using var broker = await StubServer.StartAsync(context => context.Request.Path.Value switch
        {
            MetadataPath => Json(context, $$"""{"issuer":"https://tessera.example.com","token_endpoint":"{{elsewhere.BaseAddress}}v1/token"}"""),
            _ => Json(context, """{"access_token":"wrong-path","expires_in":900}"""),
        });
        using var agent = Agent(broker.BaseAddress);

        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("token_endpoint_elsewhere", ex.ErrorCode);
        Assert.Contains("TESSERA_BROKER", ex.Message, StringComparison.Ordinal);
        Assert.Empty(elsewhere.Requests);
        Assert.Equal([MetadataPath], broker.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task GetTokenEndpointAsync_AsksAgain_AfterAFailedLookup()
    {
        int metadataCalls = 0;
        await using var broker = await StubServer.StartAsync(context =>
            Interlocked.Increment(ref metadataCalls) == 1 ? Status(context, 503) : Json(context, """{"issuer":"http://tessera.test","token_endpoint":"http://tessera.test/v1/token"}"""));
        using var agent = Agent(broker.BaseAddress);

        var failed = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenEndpointAsync());
        Uri endpoint = await agent.GetTokenEndpointAsync();

        Assert.Equal(503, failed.Status);
        Assert.Equal(new Uri(broker.BaseAddress, "v1/token"), endpoint);
        Assert.Equal(2, metadataCalls);
    }

    public static TheoryData<string, string, string?> Endpoints => new()
    {
        // name, metadata, expected endpoint (null: refused)
        { "same origin, own path", """{"issuer":"https://public.example.com","token_endpoint":"http://127.0.0.1:9000/gateway/token"}""", "http://127.0.0.1:9000/gateway/token" },
        { "under the issuer, with a path prefix", """{"issuer":"https://gw.example.com/tessera/","token_endpoint":"https://gw.example.com/tessera/v1/token"}""", "http://127.0.0.1:9000/v1/token" },
        { "no token_endpoint", """{"issuer":"https://public.example.com"}""", "http://127.0.0.1:9000/v1/token" },
        { "another host", """{"issuer":"https://public.example.com","token_endpoint":"https://evil.example.com/v1/token"}""", null },
        { "the broker's host on another port", """{"issuer":"https://public.example.com","token_endpoint":"http://127.0.0.1:9001/v1/token"}""", null },
        { "a network-path reference under the issuer", """{"issuer":"https://public.example.com","token_endpoint":"https://public.example.com///evil.example.com/v1/token"}""", null },
        { "user information", """{"issuer":"https://public.example.com","token_endpoint":"http://user:pw@127.0.0.1:9000/v1/token"}""", null },
        { "not http", """{"issuer":"https://public.example.com","token_endpoint":"ftp://127.0.0.1:9000/v1/token"}""", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Resolve_KeepsTheSecretOnTheBrokersOrigin(string name, string metadata, string? expected)
    {
        var brokerBase = new Uri("http://127.0.0.1:9000/");
        using var doc = JsonDocument.Parse(metadata);

        if (expected is null)
        {
            var ex = Assert.Throws<TesseraConfigurationException>(() => TokenEndpoint.Resolve(doc.RootElement, brokerBase, allowInsecureHttp: false));
            Assert.True(ex.ErrorCode is "token_endpoint_elsewhere" or "invalid_token_endpoint", name);
        }
        else
        {
            Assert.Equal(new Uri(expected), TokenEndpoint.Resolve(doc.RootElement, brokerBase, allowInsecureHttp: false));
        }
    }

    private static TesseraCredentialAgent Agent(Uri broker) =>
        new(new TesseraCredentialOptions { BrokerUrl = broker, KeyId = "tsr_kid_discovery", Secret = "tsr_sk_discovery" });

    private static string Origin(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    private static Task Json(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body);
    }

    private static Task NotFound(HttpContext context) => Status(context, 404);

    private static Task Status(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync($$"""{"status":{{status}},"error_code":"http_{{status}}","detail":"scripted"}""");
    }
}
