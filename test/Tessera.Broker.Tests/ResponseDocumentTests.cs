using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Tessera.Broker.Http;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// The documents written by hand (JWK set, issuer metadata, signing keys, audit events) carry only the
/// members of the record types that describe them in the OpenAPI document; and a 201 of the typed
/// handlers carries no <c>Location</c> header (none was sent before).
/// </summary>
public sealed class ResponseDocumentTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Metadata_HasExactlyTheMembersOfItsRecord()
    {
        var metadata = (await Broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/tessera-configuration"))!;

        Assert.Equal(Names(BrokerJson.Default.TesseraConfigurationDocument), metadata.Select(p => p.Key).ToArray());
    }

    [Fact]
    public async Task Jwks_HasOnlyTheMembersOfItsRecords()
    {
        var response = await Broker.Client.GetAsync("/.well-known/jwks.json");
        var jwks = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal("application/jwk-set+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl!.ToString());
        Assert.Equal(Names(BrokerJson.Default.JwksDocument), jwks.Select(p => p.Key).ToArray());
        var allowed = Names(BrokerJson.Default.JwkDocument);
        Assert.All(jwks["keys"]!.AsArray(), key => Assert.Subset(allowed.ToHashSet(), key!.AsObject().Select(p => p.Key).ToHashSet()));
    }

    [Fact]
    public async Task Keys_HaveOnlyTheMembersOfTheirRecords()
    {
        var keys = await GetAsync("/v1/admin/keys");

        Assert.Subset(Names(BrokerJson.Default.KeyListDocument).ToHashSet(), keys.Select(p => p.Key).ToHashSet());
        var allowed = Names(BrokerJson.Default.KeyStatusDocument).ToHashSet();
        Assert.All(keys["keys"]!.AsArray(), key => Assert.Subset(allowed, key!.AsObject().Select(p => p.Key).ToHashSet()));
    }

    [Fact]
    public async Task AuditEvents_HaveOnlyTheMembersOfTheirRecords()
    {
        var page = await GetAsync("/v1/audit/events?limit=50");

        Assert.Equal(Names(BrokerJson.Default.AuditEventPage), page.Select(p => p.Key).ToArray());
        var allowed = Names(BrokerJson.Default.AuditEventDocument).ToHashSet();
        Assert.NotEmpty(page["events"]!.AsArray());
        Assert.All(page["events"]!.AsArray(), e => Assert.Subset(allowed, e!.AsObject().Select(p => p.Key).ToHashSet()));
    }

    [Theory]
    [InlineData("since=", 400, "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData("since", 400, "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData("limit=1&limit=2", 400, "limit must be between 1 and 1000")]
    [InlineData("limit=x", 400, "limit must be between 1 and 1000")]
    [InlineData("agent_id=&limit=1", 200, null)]
    public async Task AuditEvents_QueryValues_BindAsBefore(string query, int status, string? detail)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/audit/events?" + query);
        request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        if (detail is not null)
        {
            await RegistrationTests.AssertProblem(response, status, "invalid_request", detail);
        }
    }

    [Theory]
    [InlineData("/v1/admin/apps", """{"name":"{unique}","scopes":["read:data:*"]}""")]
    [InlineData("/v1/admin/platforms", """{"platform_id":"{unique}","scopes":["read:data:*"]}""")]
    [InlineData("/v1/admin/launch-tokens", """{"agent_name":"worker","allowed_scope":["read:data:*"]}""")]
    public async Task Created_CarriesNoLocation(string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.Replace("{unique}", "p" + Guid.NewGuid().ToString("N")[..12], StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    private static string[] Names(JsonTypeInfo type) => [.. type.Properties.Select(p => p.Name)];

    private async Task<JsonObject> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());
        var response = await Broker.Client.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}
