using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Tessera.Broker.Hosting;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>A credential agent as the operator holds it right after creating and granting it.</summary>
public sealed record CredentialAgentInfo(string AgentId, string KeyId, string Secret);

/// <summary>
/// A real broker (BrokerHost.Build) on a loopback port with its own SQLite file and key in a temp
/// directory, plus the admin calls the SDK tests need. Every exchange rate limit is lifted unless
/// the settings say otherwise.
/// </summary>
public sealed class LoopbackBroker : IAsyncDisposable
{
    public const string AdminSecret = "client-test-admin-secret-0123456789";
    public const string Issuer = "http://tessera.test";
    public const string Platform = "orders-api";

    private readonly WebApplication _app;
    private readonly SemaphoreSlim _adminGate = new(1, 1);
    private string? _adminToken;
    private DateTimeOffset _adminTokenExpires;

    private LoopbackBroker(WebApplication app, string directory, Uri baseAddress)
    {
        _app = app;
        Directory = directory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public string Directory { get; }

    public Uri BaseAddress { get; }

    public string Url => BaseAddress.ToString().TrimEnd('/');

    public HttpClient Client { get; }

    public static async Task<LoopbackBroker> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, CapturedLogs? logs = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-client-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var overrides = new Dictionary<string, string?>
        {
            ["admin_secret"] = AdminSecret,
            ["bcrypt_cost"] = "4",
            ["db"] = Path.Combine(directory, "tessera.db"),
            ["signing_key_path"] = Path.Combine(directory, "signing-key.json"),
            ["secret_pepper_path"] = Path.Combine(directory, "pepper"),
            ["issuer"] = Issuer,
            ["trust_domain"] = "tessera.test",
            ["admin_auth_rate"] = "100000",
            ["admin_auth_burst"] = "100000",
            ["public_rate"] = "100000",
            ["public_burst"] = "100000",
            ["token_address_rate"] = "100000",
            ["token_address_burst"] = "100000",
            ["agent_rate"] = "100000",
            ["agent_burst"] = "100000",
            ["platform_rate"] = "100000",
            ["platform_burst"] = "100000",
            ["endpoint_rate"] = "100000",
            ["endpoint_burst"] = "100000",
            ["renew_rate"] = "100000",
            ["renew_burst"] = "100000",

            // The verification library follows the revocation feed without credentials until it
            // sends the platform's client credentials; until then these brokers serve a public feed.
            ["public_revocation_feed"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var app = BrokerHost.Build(["http://127.0.0.1:0"], null, overrides, null, logging =>
        {
            logging.ClearProviders();
            logs?.AddTo(logging);
        });
        await app.StartAsync();
        return new LoopbackBroker(app, directory, new Uri(app.Urls.First()));
    }

    public async Task<string> AdminTokenAsync()
    {
        await _adminGate.WaitAsync();
        try
        {
            if (_adminToken is null || DateTimeOffset.UtcNow > _adminTokenExpires)
            {
                var response = await Client.PostAsJsonAsync("/v1/admin/auth", new { secret = AdminSecret });
                response.EnsureSuccessStatusCode();
                var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                _adminToken = json["access_token"]!.GetValue<string>();
                _adminTokenExpires = DateTimeOffset.UtcNow.AddSeconds(json["expires_in"]!.GetValue<int>() / 2);
            }

            return _adminToken;
        }
        finally
        {
            _adminGate.Release();
        }
    }

    /// <summary>Sends an admin request and asserts a 2xx answer; returns the JSON body.</summary>
    public async Task<JsonObject> AdminAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        request.Headers.Authorization = new("Bearer", await AdminTokenAsync());
        var response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} -> {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>A launch token for the orders API: scope ceiling <paramref name="scopes"/>, tokens of at most <paramref name="maxTtl"/> s.</summary>
    public async Task<string> LaunchTokenAsync(string[]? scopes = null, int maxTtl = 300, bool singleUse = true, string audience = Platform)
    {
        var json = await AdminAsync(HttpMethod.Post, "/v1/admin/launch-tokens", new Dictionary<string, object>
        {
            ["agent_name"] = "sdk-agent",
            ["allowed_scope"] = scopes ?? ["orders:read", "orders:write"],
            ["allowed_audience"] = new[] { audience },
            ["max_ttl"] = maxTtl,
            ["single_use"] = singleUse,
            ["ttl"] = 60,
        });
        return json["launch_token"]!.GetValue<string>();
    }

    /// <summary>Registers the orders API as a platform served at 127.0.0.1, localhost and orders.internal.</summary>
    public Task<JsonObject> CreatePlatformAsync(string platformId = Platform, string[]? hostnames = null) =>
        AdminAsync(HttpMethod.Post, "/v1/admin/platforms", new Dictionary<string, object>
        {
            ["platform_id"] = platformId,
            ["hostnames"] = hostnames ?? ["127.0.0.1", "localhost", "orders.internal"],
            ["scopes"] = new[] { "orders:read", "orders:write" },
        });

    /// <summary>Creates a credential agent and grants it <paramref name="scopes"/> on <paramref name="platformId"/>.</summary>
    public async Task<CredentialAgentInfo> CreateCredentialAgentAsync(string[]? scopes = null, int? tokenTtl = null, string platformId = Platform)
    {
        var body = new Dictionary<string, object> { ["name"] = "sdk-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) };
        if (tokenTtl is not null)
        {
            body["token_ttl"] = tokenTtl;
        }

        var agent = await AdminAsync(HttpMethod.Post, "/v1/admin/agents", body);
        string keyId = agent["key_id"]!.GetValue<string>();
        await AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{keyId}/grants", new Dictionary<string, object>
        {
            ["platform_id"] = platformId,
            ["scopes"] = scopes ?? ["orders:read", "orders:write"],
        });
        return new CredentialAgentInfo(agent["agent_id"]!.GetValue<string>(), keyId, agent["secret"]!.GetValue<string>());
    }

    /// <summary>Revokes a registered agent (<c>POST /v1/revoke</c>, level agent).</summary>
    public Task<JsonObject> RevokeAgentAsync(string agentId) =>
        AdminAsync(HttpMethod.Post, "/v1/revoke", new { level = "agent", target = agentId, reason = "test" });

    /// <summary>Revokes a credential agent (<c>POST /v1/admin/agents/{id}/revoke</c>).</summary>
    public Task<JsonObject> RevokeCredentialAgentAsync(string keyId) =>
        AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{keyId}/revoke", new { reason = "test" });

    /// <summary>How many audit events of <paramref name="eventType"/> name <paramref name="agentId"/>.</summary>
    public async Task<int> AuditCountAsync(string eventType, string agentId)
    {
        var json = await AdminAsync(HttpMethod.Get, $"/v1/audit/events?event_type={eventType}&agent_id={Uri.EscapeDataString(agentId)}&limit=1000");
        return json["total"]!.GetValue<int>();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _adminGate.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
