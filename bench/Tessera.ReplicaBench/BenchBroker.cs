using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using Tessera.Broker.Hosting;

namespace Tessera.ReplicaBench;

/// <summary>
/// A real broker in this process (Kestrel on a loopback port, the broker's own host builder) and
/// an HTTP client to it. On PostgreSQL every replica gets the same database, pepper and
/// key-encryption key, as the replicas of one deployment do.
/// </summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    public const string AdminSecret = "replica-bench-admin-secret-0123456789";
    public const string Scope = "read:data:x";

    // One deployment: every replica shares these (the bench's own, never a real secret).
    private static readonly string Pepper = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string KeyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly WebApplication _app;
    private readonly string _directory;

    private BenchBroker(WebApplication app, string directory, int clients)
    {
        _app = app;
        _directory = directory;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(clients, 4) }) { BaseAddress = new Uri(app.Urls.First()) };
    }

    public HttpClient Client { get; }

    /// <summary>A single broker on its own SQLite file (the default store; audit durable before each response).</summary>
    public static Task<BenchBroker> StartSqliteAsync(int clients)
    {
        string directory = NewDirectory();
        return StartAsync(directory, Path.Combine(directory, "tessera.db"), null, clients);
    }

    /// <summary>One replica on the shared PostgreSQL database.</summary>
    public static Task<BenchBroker> StartReplicaAsync(string connectionString, int clients) =>
        StartAsync(NewDirectory(), connectionString, KeyEncryptionKey, clients);

    /// <summary>A launch token any number of agents may register with, for an hour.</summary>
    public async Task<string> CreateLaunchTokenAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens")
        {
            Content = JsonContent.Create(new { agent_name = "bench", allowed_scope = new[] { Scope }, max_ttl = 3600, single_use = false, ttl = 3600 }),
        };
        request.Headers.Authorization = new("Bearer", await AdminTokenAsync());
        using var response = await Client.SendAsync(request);
        return (await ReadSuccessAsync(response)).GetProperty("launch_token").GetString()!;
    }

    /// <summary>Revokes one token (by its <c>jti</c>) and returns once the broker acknowledged it.</summary>
    public async Task RevokeTokenAsync(string admin, string jti)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "token", target = jti, reason = "bench" }) };
        request.Headers.Authorization = new("Bearer", admin);
        using var response = await Client.SendAsync(request);
        await ReadSuccessAsync(response);
    }

    public async Task<string> AdminTokenAsync()
    {
        using var response = await Client.PostAsJsonAsync("/v1/admin/auth", new { secret = AdminSecret });
        return (await ReadSuccessAsync(response)).GetProperty("access_token").GetString()!;
    }

    /// <summary>What an agent SDK does: challenge, sign the nonce with a fresh Ed25519 key, register. Returns the access token, or null when refused.</summary>
    public static async Task<string?> RegisterAsync(HttpClient client, string launchToken, string taskId)
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        using var challenge = await client.GetAsync("/v1/challenge");
        if (!challenge.IsSuccessStatusCode)
        {
            return null;
        }

        string nonce = (await challenge.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nonce").GetString()!;
        using var response = await client.PostAsJsonAsync("/v1/register", new
        {
            launch_token = launchToken,
            nonce,
            public_key = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            signature = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
            orch_id = "bench",
            task_id = taskId,
            requested_scope = new[] { Scope },
        });
        return response.IsSuccessStatusCode
            ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()
            : null;
    }

    /// <summary><c>POST /v1/token/validate</c>: whether this broker still accepts the token.</summary>
    public async Task<bool> IsValidAsync(string token)
    {
        using var response = await Client.PostAsJsonAsync("/v1/token/validate", new { token });
        return (await ReadSuccessAsync(response)).GetProperty("valid").GetBoolean();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<BenchBroker> StartAsync(string directory, string db, string? keyEncryptionKey, int clients)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["admin_secret"] = AdminSecret,
            ["bcrypt_cost"] = "4",
            ["db"] = db,
            ["signing_key_path"] = Path.Combine(directory, "key.json"),
            ["profile_signing_key_path"] = Path.Combine(directory, "key-rs256.json"),
            ["secret_pepper"] = Pepper,
            ["issuer"] = "http://tessera.bench",
            ["trust_domain"] = "tessera.bench",
            ["public_rate"] = "1000000",
            ["public_burst"] = "1000000",
            ["admin_auth_rate"] = "1000000",
            ["admin_auth_burst"] = "1000000",
            ["max_ttl"] = "0",
        };
        if (keyEncryptionKey is not null)
        {
            overrides["key_encryption_key"] = keyEncryptionKey;
        }

        var app = BrokerHost.Build(["http://127.0.0.1:0"], overrides: overrides, configureLogging: l => l.SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
        await app.StartAsync();
        return new BenchBroker(app, directory, clients);
    }

    private static string NewDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-replica-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static async Task<JsonElement> ReadSuccessAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {text}");
        }

        return JsonDocument.Parse(text).RootElement;
    }
}
