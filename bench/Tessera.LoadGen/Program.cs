using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using Tessera.Broker.Hosting;

// Load generator: starts a real broker (Kestrel on loopback, SQLite on disk, durable audit),
// then drives each scenario with C concurrent clients for D seconds and reports requests/s
// as a ratio of the baseline scenario (GET /v1/health: the same server doing no work), run
// side by side in this one process. Usage: dotnet run -c Release --project bench/Tessera.LoadGen -- [seconds] [concurrency] [only]
int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;

// Optional: only the scenarios whose name contains one of these comma-separated parts (the baseline always runs).
string[] only = args.Length > 2 ? args[2].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
string dir = Path.Combine(Path.GetTempPath(), "tessera-loadgen-" + Guid.NewGuid().ToString("N"));
const string secret = "loadgen-admin-secret-0123456789";

var app = BrokerHost.Build(
    ["http://127.0.0.1:0"],
    overrides: new Dictionary<string, string?>
    {
        ["admin_secret"] = secret,
        ["bcrypt_cost"] = "4",
        ["db"] = Path.Combine(dir, "tessera.db"),
        ["signing_key_path"] = Path.Combine(dir, "key.json"),
        ["secret_pepper_path"] = Path.Combine(dir, "pepper"),
        ["public_rate"] = "1000000",
        ["public_burst"] = "1000000",
        ["max_ttl"] = "0",

        // The renewal scenario measures throughput, not the per-agent renewal limit.
        ["renew_rate"] = "100000000",
        ["renew_burst"] = "1000000",

        // The client-credentials scenario measures issuance, not the exchange limits.
        ["token_address_rate"] = "100000000",
        ["token_address_burst"] = "1000000",
        ["agent_rate"] = "100000000",
        ["agent_burst"] = "1000000",
        ["platform_rate"] = "100000000",
        ["platform_burst"] = "1000000",
        ["endpoint_rate"] = "100000000",
        ["endpoint_burst"] = "1000000",
    },
    configureLogging: l => l.SetMinimumLevel(LogLevel.Warning));
await app.StartAsync();
var baseAddress = new Uri(app.Urls.First());
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseAddress };

string admin = (await (await http.PostAsJsonAsync("/v1/admin/auth", new { secret })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

async Task<string> RegisterAsync(int i)
{
    using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens")
    {
        Content = JsonContent.Create(new { agent_name = "load", allowed_scope = new[] { "read:data:*" }, max_ttl = 3600 }),
    };
    req.Headers.Authorization = new("Bearer", admin);
    string launch = (await (await http.SendAsync(req)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("launch_token").GetString()!;
    string nonce = (await http.GetFromJsonAsync<JsonElement>("/v1/challenge")).GetProperty("nonce").GetString()!;
    using var key = Key.Create(SignatureAlgorithm.Ed25519);
    var reg = await http.PostAsJsonAsync("/v1/register", new
    {
        launch_token = launch,
        nonce,
        public_key = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
        signature = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
        orch_id = "load",
        task_id = $"t{i}",
        requested_scope = new[] { "read:data:*" },
    });
    return (await reg.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
}

var tokens = new string[concurrency];
for (int i = 0; i < concurrency; i++)
{
    tokens[i] = await RegisterAsync(i);
}

// An agent with standing credentials and a grant on one platform, for the client-credentials scenario.
async Task<JsonElement> AdminPostAsync(string path, object body)
{
    using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
    req.Headers.Authorization = new("Bearer", admin);
    using var response = await http.SendAsync(req);
    response.EnsureSuccessStatusCode();
    return await response.Content.ReadFromJsonAsync<JsonElement>();
}

await AdminPostAsync("/v1/admin/platforms", new { platform_id = "load", hostnames = new[] { "load.example" }, scopes = new[] { "read:data:*" } });
var credentialAgent = await AdminPostAsync("/v1/admin/agents", new { name = "load-bot" });
string keyId = credentialAgent.GetProperty("key_id").GetString()!;
string basic = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(keyId + ":" + credentialAgent.GetProperty("secret").GetString()));
await AdminPostAsync($"/v1/admin/agents/{keyId}/grants", new { platform_id = "load", scopes = new[] { "read:data:*" } });

var scenarios = new (string Name, Func<int, Task<bool>> Request)[]
{
    ("GET /v1/health (baseline)", async _ => (await http.GetAsync("/v1/health")).IsSuccessStatusCode),
    ("GET /v1/challenge (nonce write)", async _ => (await http.GetAsync("/v1/challenge")).IsSuccessStatusCode),
    ("POST /v1/token (client credentials: issue + durable audit)", async _ =>
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("resource", "load")]),
        };
        req.Headers.Authorization = new("Basic", basic);
        using var response = await http.SendAsync(req);
        return response.IsSuccessStatusCode;
    }),
    ("POST /v1/token/validate", async i => (await http.PostAsJsonAsync("/v1/token/validate", new { token = tokens[i] })).IsSuccessStatusCode),
    ("POST /v1/token/renew (issue + revoke + durable audit)", async i =>
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/token/renew");
        req.Headers.Authorization = new("Bearer", tokens[i]);
        var response = await http.SendAsync(req);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        tokens[i] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        return true;
    }),
};

Console.WriteLine($"Tessera load generator: {seconds} s per scenario, {concurrency} concurrent clients, {Environment.ProcessorCount} cores, client and broker in one process");
Console.WriteLine($"{"scenario",-56} {"req/s",10} {"errors",7} {"p50 ms",7} {"p99 ms",7} {"vs baseline",12}");
double baseline = 0;
foreach (var (name, request) in scenarios)
{
    if (baseline != 0 && only.Length > 0 && !only.Any(part => name.Contains(part, StringComparison.Ordinal)))
    {
        continue;
    }

    // Warm-up, then measure.
    await RunAsync(request, TimeSpan.FromSeconds(1));
    var (count, errors, latencies) = await RunAsync(request, TimeSpan.FromSeconds(seconds));
    double rate = count / (double)seconds;
    if (baseline == 0)
    {
        baseline = rate;
    }

    latencies.Sort();
    double p50 = latencies.Count > 0 ? latencies[latencies.Count / 2] : 0;
    double p99 = latencies.Count > 0 ? latencies[(int)(latencies.Count * 0.99)] : 0;
    Console.WriteLine($"{name,-56} {rate,10:F0} {errors,7} {p50,7:F2} {p99,7:F2} {rate / baseline,11:F2}x");
}

await app.StopAsync();
await app.DisposeAsync();
Directory.Delete(dir, recursive: true);

async Task<(long Count, long Errors, List<double> Latencies)> RunAsync(Func<int, Task<bool>> request, TimeSpan duration)
{
    long count = 0, errors = 0;
    var latencies = new List<double>[concurrency];
    var stop = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async i =>
    {
        latencies[i] = [];
        while (stop.Elapsed < duration)
        {
            long start = Stopwatch.GetTimestamp();
            bool ok = await request(i);
            latencies[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Interlocked.Increment(ref count);
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }
    });
    await Task.WhenAll(workers);
    return (count, errors, latencies.SelectMany(l => l).ToList());
}
