using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static Tessera.Broker.Tests.Infrastructure.AppApi;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>A platform as the operator holds it right after creating it (its secret is shown only then).</summary>
public sealed record TestPlatform(string PlatformId, string ClientId, string ClientSecret, string[] Hostnames, string[] Scopes);

/// <summary>A credential agent right after creation (the secret is null for a key-only agent).</summary>
public sealed record TestCredentialAgent(string AgentId, string KeyId, string? Secret);

/// <summary>
/// Calls to the platform, credential-agent, token-exchange and enforcement endpoints, shared by
/// the platform / agent / exchange / enforcement tests.
/// </summary>
public static class CredentialApi
{
    /// <summary>The audience a client assertion must name (the fixture's issuer is http://tessera.test).</summary>
    public const string TokenEndpointAudience = "http://tessera.test/v1/token";

    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>
    /// The status of <c>unauthorized_client</c> (agent_suspended, agent_revoked) at <c>POST /v1/token</c>:
    /// 400 as RFC 6749 section 5.2 has it (the issue #5 draft said 403; the broker follows the RFC).
    /// </summary>
    public const int UnauthorizedClientStatus = 400;

    /// <summary>Limits lifted so functional tests never meet a 429 from one another.</summary>
    public static Dictionary<string, string?> NoExchangeLimits => new()
    {
        ["token_address_rate"] = "100000",
        ["token_address_burst"] = "100000",
        ["agent_rate"] = "100000",
        ["agent_burst"] = "100000",
        ["platform_rate"] = "100000",
        ["platform_burst"] = "100000",
        ["endpoint_rate"] = "100000",
        ["endpoint_burst"] = "100000",
    };

    /// <summary>A fresh valid platform id or agent name: <paramref name="prefix"/> plus 8 hex.</summary>
    public static string UniqueId(string prefix) => $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(secret)}")));

    public static JsonArray Array(params string[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    public static JsonObject PlatformBody(string id, string[] scopes, string[]? hostnames = null, JsonArray? routes = null, string? name = null)
    {
        var body = new JsonObject
        {
            ["platform_id"] = id,
            ["hostnames"] = Array(hostnames ?? [$"{id}.example.com"]),
            ["scopes"] = Array(scopes),
        };
        if (routes is not null)
        {
            body["routes"] = routes;
        }

        if (name is not null)
        {
            body["name"] = name;
        }

        return body;
    }

    public static JsonObject Route(string method, string path, string scope) => new() { ["method"] = method, ["path"] = path, ["scope"] = scope };

    /// <summary>Sends <paramref name="body"/> with an admin token (fetched when not given).</summary>
    public static async Task<HttpResponseMessage> AdminAsync(this BrokerFixture broker, HttpMethod method, string path, JsonNode? body = null, string? adminToken = null)
    {
        adminToken ??= await broker.AdminTokenAsync();
        return await broker.SendWithBearerAsync(method, path, adminToken, body);
    }

    /// <summary>Sends with an admin token and asserts the status; returns the JSON body.</summary>
    public static async Task<JsonObject> AdminOkAsync(this BrokerFixture broker, HttpMethod method, string path, JsonNode? body = null, int status = 200, string? adminToken = null) =>
        await ReadJsonAsync(await broker.AdminAsync(method, path, body, adminToken), status);

    public static async Task<TestPlatform> CreatePlatformOkAsync(
        this BrokerFixture broker, string? id = null, string[]? scopes = null, string[]? hostnames = null, JsonArray? routes = null, string? adminToken = null)
    {
        id ??= UniqueId("plat");
        scopes ??= ["read:orders:*", "write:orders:*"];
        hostnames ??= [$"{id}.example.com"];
        var json = await broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(id, scopes, hostnames, routes), 201, adminToken);
        return new TestPlatform(id, json["client_id"]!.GetValue<string>(), json["client_secret"]!.GetValue<string>(), hostnames, scopes);
    }

    /// <summary>
    /// An HTTP client that reads the revocation feed as a verifier does: as a registered platform,
    /// its client credentials in HTTP Basic on every request. Dispose it with the test.
    /// </summary>
    public static async Task<HttpClient> FeedClientAsync(this BrokerFixture broker, string? adminToken = null)
    {
        var platform = await broker.CreatePlatformOkAsync(adminToken: adminToken);
        var client = new HttpClient { BaseAddress = broker.BaseAddress };
        client.DefaultRequestHeaders.Authorization = Basic(platform.ClientId, platform.ClientSecret);
        return client;
    }

    /// <summary>Creates a credential agent; <paramref name="jwks"/> makes it key-only.</summary>
    public static async Task<TestCredentialAgent> CreateAgentOkAsync(
        this BrokerFixture broker, string? name = null, JsonObject? jwks = null, int? tokenTtl = null, string? adminToken = null)
    {
        var body = new JsonObject { ["name"] = name ?? UniqueId("agent") };
        if (jwks is not null)
        {
            body["jwks"] = jwks;
        }

        if (tokenTtl is not null)
        {
            body["token_ttl"] = tokenTtl;
        }

        var json = await broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/agents", body, 201, adminToken);
        return new TestCredentialAgent(json["agent_id"]!.GetValue<string>(), json["key_id"]!.GetValue<string>(), json["secret"]?.GetValue<string>());
    }

    public static Task<HttpResponseMessage> GrantAsync(this BrokerFixture broker, string agentRef, string platformId, string[] scopes, string? adminToken = null) =>
        broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{agentRef}/grants", new JsonObject { ["platform_id"] = platformId, ["scopes"] = Array(scopes) }, adminToken);

    public static async Task<JsonObject> GrantOkAsync(this BrokerFixture broker, string agentRef, string platformId, string[] scopes, string? adminToken = null) =>
        await ReadJsonAsync(await broker.GrantAsync(agentRef, platformId, scopes, adminToken), 200);

    /// <summary>A platform and an agent granted <paramref name="grant"/> on it (by default the platform's read scope).</summary>
    public static async Task<(TestPlatform Platform, TestCredentialAgent Agent)> PlatformWithAgentAsync(this BrokerFixture broker, string[]? grant = null, string? adminToken = null)
    {
        adminToken ??= await broker.AdminTokenAsync();
        var platform = await broker.CreatePlatformOkAsync(adminToken: adminToken);
        var agent = await broker.CreateAgentOkAsync(adminToken: adminToken);
        await broker.GrantOkAsync(agent.KeyId, platform.PlatformId, grant ?? ["read:orders:*"], adminToken);
        return (platform, agent);
    }

    public static async Task<JsonObject> GetAgentAsync(this BrokerFixture broker, string agentRef, string? adminToken = null) =>
        await broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents/{agentRef}", adminToken: adminToken);

    /// <summary><c>POST /v1/token</c> as a form; <paramref name="basic"/> adds an Authorization header.</summary>
    public static async Task<HttpResponseMessage> TokenFormAsync(this BrokerFixture broker, IEnumerable<KeyValuePair<string, string>> form, AuthenticationHeaderValue? basic = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = basic;
        return await broker.Client.SendAsync(request);
    }

    /// <summary>client_secret_basic exchange with optional resource and scope.</summary>
    public static Task<HttpResponseMessage> ExchangeAsync(this BrokerFixture broker, string keyId, string secret, string? resource, string? scope = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (resource is not null)
        {
            form.Add(new("resource", resource));
        }

        if (scope is not null)
        {
            form.Add(new("scope", scope));
        }

        return broker.TokenFormAsync(form, Basic(keyId, secret));
    }

    /// <summary>Exchanges (Basic) and asserts 200; returns the response body.</summary>
    public static async Task<JsonObject> ExchangeOkAsync(this BrokerFixture broker, TestCredentialAgent agent, string? resource, string? scope = null) =>
        await ReadJsonAsync(await broker.ExchangeAsync(agent.KeyId, agent.Secret!, resource, scope), 200);

    /// <summary>Asserts an RFC 6749 error body with Tessera's error_code; returns it.</summary>
    public static async Task<JsonObject> AssertOAuthError(HttpResponseMessage response, int status, string error, string errorCode)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(error, json["error"]!.GetValue<string>());
        Assert.Equal(errorCode, json["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["error_description"]?.GetValue<string>()));
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        return json;
    }

    /// <summary>Asserts a problem+json with the status and error_code; returns it.</summary>
    public static async Task<JsonObject> AssertProblemCode(HttpResponseMessage response, int status, string errorCode)
    {
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal(errorCode, problem["error_code"]!.GetValue<string>());
        return problem;
    }

    /// <summary><c>POST /v1/enforcement/reports</c> with the platform's Basic credentials.</summary>
    public static async Task<HttpResponseMessage> ReportAsync(this BrokerFixture broker, string clientId, string clientSecret, JsonArray events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/enforcement/reports") { Content = Json(new JsonObject { ["events"] = events.DeepClone() }) };
        request.Headers.Authorization = Basic(clientId, clientSecret);
        return await broker.Client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> ReportAsync(this BrokerFixture broker, TestPlatform platform, JsonArray events) =>
        broker.ReportAsync(platform.ClientId, platform.ClientSecret, events);

    public static JsonObject Denied(string agentId, int count = 1, string code = "MISSING_SCOPE") => new()
    {
        ["agent_id"] = agentId,
        ["outcome"] = "denied",
        ["error_code"] = code,
        ["method"] = "POST",
        ["route"] = "/orders/{id}",
        ["count"] = count,
    };

    public static JsonObject Allowed(string agentId) => new()
    {
        ["agent_id"] = agentId,
        ["outcome"] = "allowed",
        ["method"] = "GET",
        ["route"] = "/orders",
    };

    public static JsonArray Events(params JsonObject[] events) => new([.. events]);

    /// <summary>The audit events of one type about one agent.</summary>
    public static async Task<List<JsonObject>> AuditAsync(this BrokerFixture broker, string eventType, string? agentId = null, string? adminToken = null)
    {
        string query = "event_type=" + eventType + "&limit=1000" + (agentId is null ? "" : "&agent_id=" + Uri.EscapeDataString(agentId));
        var json = await broker.AuditEventsAsync(query, adminToken);
        return [.. json["events"]!.AsArray().Select(e => e!.AsObject())];
    }

    public static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The <c>aud</c> claim as a list, whether the token writes it as a string or an array.</summary>
    public static string[] Audience(JsonObject payload) => payload["aud"] switch
    {
        JsonArray a => [.. a.Select(x => x!.GetValue<string>())],
        JsonNode n => [n.GetValue<string>()],
        null => [],
    };

    public static async Task<JsonObject> PlatformsMeAsync(this BrokerFixture broker, object body, int status)
    {
        var response = await broker.Client.PostAsJsonAsync("/v1/platforms/me", body);
        return await ReadJsonAsync(response, status);
    }
}

/// <summary>One broker shared by the tests of a class, with the exchange rate limits lifted.</summary>
public sealed class SharedCredentialBroker : IAsyncLifetime
{
    private string? _adminToken;

    public BrokerFixture Broker { get; private set; } = null!;

    /// <summary>One admin token for the whole class (the shared broker's clock never moves).</summary>
    public async Task<string> AdminTokenAsync() => _adminToken ??= await Broker.AdminTokenAsync();

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync(CredentialApi.NoExchangeLimits);

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
