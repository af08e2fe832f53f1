using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class HttpConventionsTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task EveryResponse_CarriesRequestIdAndSecurityHeaders()
    {
        var response = await Broker.Client.GetAsync("/v1/health");

        Assert.Matches("^[0-9a-f]{16}$", response.Headers.GetValues("X-Request-ID").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task RequestId_IsEchoed_WhenInboundOneIsSane_AndInProblemBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/nowhere");
        request.Headers.Add("X-Request-ID", "trace-abc_123.x");

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal("trace-abc_123.x", response.Headers.GetValues("X-Request-ID").Single());
        Assert.Equal("trace-abc_123.x", (await BrokerFixture.ProblemAsync(response))["request_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequestId_IsReplaced_WhenInboundOneCouldInjectAnything()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/health");
        request.Headers.TryAddWithoutValidation("X-Request-ID", "abc def<script>");

        var response = await Broker.Client.SendAsync(request);

        Assert.Matches("^[0-9a-f]{16}$", response.Headers.GetValues("X-Request-ID").Single());
    }

    [Fact]
    public async Task Health_ReportsStatusVersionUptimeDbAndAuditCount()
    {
        await Broker.AdminTokenAsync();

        var health = (await Broker.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!;

        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Matches("^\\d+\\.\\d+\\.\\d+", health["version"]!.GetValue<string>());
        Assert.True(health["uptime"]!.GetValue<long>() >= 0);
        Assert.True(health["db_connected"]!.GetValue<bool>());
        Assert.True(health["audit_events_count"]!.GetValue<long>() >= 1);
    }

    [Fact]
    public async Task Jwks_PublishesKidUseAndAlg_ForEveryKey()
    {
        var response = await Broker.Client.GetAsync("/.well-known/jwks.json");

        Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType?.MediaType);
        var keys = (await response.Content.ReadFromJsonAsync<JsonObject>())!["keys"]!.AsArray();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.False(string.IsNullOrEmpty(key!["kid"]!.GetValue<string>()));
            Assert.Equal("sig", key["use"]!.GetValue<string>());
            Assert.Equal("EdDSA", key["alg"]!.GetValue<string>());
            Assert.Equal("OKP", key["kty"]!.GetValue<string>());
            Assert.Null(key["d"]);
        }
    }

    [Fact]
    public async Task Metadata_NamesIssuerAndJwksUri()
    {
        var metadata = (await Broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/tessera-configuration"))!;

        Assert.Equal("http://tessera.test", metadata["issuer"]!.GetValue<string>());
        Assert.Equal("http://tessera.test/.well-known/jwks.json", metadata["jwks_uri"]!.GetValue<string>());
        Assert.Equal(["EdDSA"], metadata["token_signing_alg_values_supported"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public async Task OpenApiAndErrorReference_AreServed()
    {
        string openapi = await Broker.Client.GetStringAsync("/v1/openapi.yaml");
        string errors = await Broker.Client.GetStringAsync("/docs/errors.md");

        Assert.Contains("/v1/register", openapi);
        Assert.Contains("scope_violation", errors);
    }
}
