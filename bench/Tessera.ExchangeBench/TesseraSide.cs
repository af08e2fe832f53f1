using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Tessera.Broker.Hosting;

namespace Tessera.ExchangeBench;

/// <summary>
/// A real Tessera broker started in-process the way bench/Tessera.LoadGen starts it (Kestrel on
/// loopback, SQLite file, audit durable before each response), with one platform, one agent with
/// a client secret, and a grant of the agent on the platform, all made through the admin API.
/// </summary>
internal sealed class TesseraSide : IAsyncDisposable
{
    private const string AdminSecret = "exchange-bench-admin-secret-0123456789";

    private readonly WebApplication _app;
    private readonly string _databasePath;

    private TesseraSide(WebApplication app, string databasePath)
    {
        _app = app;
        _databasePath = databasePath;
    }

    public Uri BaseAddress => new(_app.Urls.First());

    public string KeyId { get; private set; } = "";

    public string Secret { get; private set; } = "";

    public static async Task<TesseraSide> StartAsync(string directory)
    {
        const string unlimited = "1000000";
        string databasePath = Path.Combine(directory, "tessera.db");
        var app = BrokerHost.Build(
            ["http://127.0.0.1:0"],
            overrides: new Dictionary<string, string?>
            {
                ["admin_secret"] = AdminSecret,
                ["bcrypt_cost"] = "4",
                ["db"] = databasePath,
                ["signing_key_path"] = Path.Combine(directory, "key.json"),
                ["secret_pepper_path"] = Path.Combine(directory, "pepper"),
                // Same algorithm as the OpenIddict peer's key.
                ["signing_alg"] = "ES256",
                ["max_ttl"] = "0",
                // Rate limits out of the way: this measures the exchange, not the limiter's refusals.
                // Keys the broker does not know are ignored.
                ["public_rate"] = unlimited,
                ["public_burst"] = unlimited,
                ["endpoint_rate"] = unlimited,
                ["endpoint_burst"] = unlimited,
                ["agent_rate"] = unlimited,
                ["agent_burst"] = unlimited,
                ["platform_rate"] = unlimited,
                ["platform_burst"] = unlimited,
                ["token_address_rate"] = unlimited,
                ["token_address_burst"] = unlimited,
            },
            configureLogging: l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
        await app.StartAsync();
        return new TesseraSide(app, databasePath);
    }

    /// <summary>
    /// Creates the platform, the agent and the grant (the wire contract of issue #5). Returns
    /// null when done, else which admin call failed and how.
    /// </summary>
    public async Task<string?> ProvisionAsync(string platformId, string hostname, string scope)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var auth = await http.PostAsJsonAsync("/v1/admin/auth", new { secret = AdminSecret });
        if (!auth.IsSuccessStatusCode)
        {
            return await DescribeAsync("POST /v1/admin/auth", auth);
        }

        string admin = (await auth.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);

        using var platform = await http.PostAsJsonAsync("/v1/admin/platforms", new
        {
            platform_id = platformId,
            name = "Exchange bench API",
            hostnames = new[] { hostname },
            scopes = new[] { scope },
            routes = new[] { new { method = "GET", path = "/orders", scope } },
        });
        if (!platform.IsSuccessStatusCode)
        {
            return await DescribeAsync("POST /v1/admin/platforms", platform);
        }

        using var agent = await http.PostAsJsonAsync("/v1/admin/agents", new { name = "exchange-bench" });
        if (!agent.IsSuccessStatusCode)
        {
            return await DescribeAsync("POST /v1/admin/agents", agent);
        }

        var created = await agent.Content.ReadFromJsonAsync<JsonElement>();
        KeyId = created.GetProperty("key_id").GetString()!;
        Secret = created.GetProperty("secret").GetString()!;

        using var grant = await http.PostAsJsonAsync($"/v1/admin/agents/{KeyId}/grants", new { platform_id = platformId, scopes = new[] { scope } });
        return grant.IsSuccessStatusCode ? null : await DescribeAsync($"POST /v1/admin/agents/{{key_id}}/grants", grant);
    }

    /// <summary>Audit events of one type in the broker's store (read beside the running broker; WAL allows it).</summary>
    public async Task<long> CountAuditEventsAsync(string eventType)
    {
        await using var connection = new SqliteConnection($"Data Source={_databasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM audit_events WHERE event_type = $type";
        command.Parameters.AddWithValue("$type", eventType);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<string> DescribeAsync(string call, HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        return $"{call} -> HTTP {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] + "…" : body)}";
    }
}
