using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;
using Tessera.Broker.Hosting;

// Added latency of a scope-checked route over a public one, over HTTP on loopback: the same
// tiny API protected by Tessera (scopes file, verified-token cache) and by stock JwtBearer with
// a scope policy (the baseline), side by side in one run, one client, sequential requests.
// Usage: dotnet run -c Release --project bench/Tessera.PlatformLatency -- [requests]
int requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
string dir = Path.Combine(Path.GetTempPath(), "tessera-latency-" + Guid.NewGuid().ToString("N"));
const string secret = "latency-admin-secret-0123456789";
const string issuer = "http://tessera.bench";

var broker = BrokerHost.Build(
    ["http://127.0.0.1:0"],
    overrides: new Dictionary<string, string?>
    {
        ["admin_secret"] = secret, ["bcrypt_cost"] = "4", ["issuer"] = issuer, ["signing_alg"] = "ES256",
        ["db"] = Path.Combine(dir, "t.db"), ["signing_key_path"] = Path.Combine(dir, "k.json"), ["secret_pepper_path"] = Path.Combine(dir, "pepper"),
    },
    configureLogging: l => l.SetMinimumLevel(LogLevel.Warning));
await broker.StartAsync();
string brokerUrl = broker.Urls.First();
using var http = new HttpClient { BaseAddress = new Uri(brokerUrl) };
string token = await TokenAsync();

string scopes = Path.Combine(dir, "tessera_scopes.yaml");
await File.WriteAllTextAsync(scopes, "platform_id: orders-api\nversion: 1\nroutes:\n  - method: GET\n    path: /public\n    public: true\n  - method: GET\n    path: /orders\n    scope: orders:read\n");

var tessera = WebApplication.CreateSlimBuilder();
tessera.WebHost.UseUrls("http://127.0.0.1:0");
tessera.Logging.ClearProviders();
tessera.Services.AddAuthentication().AddTessera(o => { o.Authority = brokerUrl; o.Audience = "orders-api"; o.Algorithm = "ES256"; o.ValidIssuers.Add(issuer); });
var tesseraApp = tessera.Build();
tesseraApp.UseTesseraRouteScopes(scopes);
tesseraApp.MapGet("/public", () => "ok");
tesseraApp.MapGet("/orders", () => "ok");
await tesseraApp.StartAsync();

string jwks = await http.GetStringAsync("/.well-known/jwks.json");
var jwt = WebApplication.CreateSlimBuilder();
jwt.WebHost.UseUrls("http://127.0.0.1:0");
jwt.Logging.ClearProviders();
jwt.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
{
    o.MapInboundClaims = false;
    o.TokenValidationParameters = new TokenValidationParameters
    {
        ValidIssuer = issuer, ValidAudience = "orders-api", IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
        ValidAlgorithms = ["ES256"], ValidTypes = ["at+jwt"],
    };
});
jwt.Services.AddAuthorization(o => o.AddPolicy("orders.read", p => p.RequireAssertion(c =>
    c.User.FindAll("scope").SelectMany(s => s.Value.Split(' ')).Contains("orders:read"))));
var jwtApp = jwt.Build();
jwtApp.UseAuthentication();
jwtApp.UseAuthorization();
jwtApp.MapGet("/public", () => "ok");
jwtApp.MapGet("/orders", () => "ok").RequireAuthorization("orders.read");
await jwtApp.StartAsync();

Console.WriteLine($"Platform latency: {requests} sequential requests per route, one client, loopback, {Environment.ProcessorCount} cores");
Console.WriteLine($"{"API",-32} {"public p50",11} {"scoped p50",11} {"added p50",10} {"added p99",10}");
// A first round warms both up (JIT, connection pools, JWKS, caches); the second is reported.
await MeasureAsync(jwtApp.Urls.First());
await MeasureAsync(tesseraApp.Urls.First());
var tesseraResult = await MeasureAsync(tesseraApp.Urls.First());
var jwtResult = await MeasureAsync(jwtApp.Urls.First());
Print("JwtBearer + scope policy (baseline)", jwtResult);
Print("Tessera (scopes file, cache warm)", tesseraResult);
Console.WriteLine($"added p50, Tessera / baseline: {tesseraResult.AddedP50 / jwtResult.AddedP50:F2}x");

await tesseraApp.StopAsync();
await jwtApp.StopAsync();
await broker.StopAsync();

static void Print(string name, (double PublicP50, double ScopedP50, double AddedP50, double AddedP99) r) =>
    Console.WriteLine($"{name,-32} {r.PublicP50,9:F1}µs {r.ScopedP50,9:F1}µs {r.AddedP50,8:F1}µs {r.AddedP99,8:F1}µs");

async Task<(double PublicP50, double ScopedP50, double AddedP50, double AddedP99)> MeasureAsync(string url)
{
    using var client = new HttpClient { BaseAddress = new Uri(url) };
    async Task<List<double>> RunAsync(string path, bool auth)
    {
        var samples = new List<double>(requests);
        for (int i = 0; i < requests + 500; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (auth)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            long start = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request);
            double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{url}{path} answered {(int)response.StatusCode}");
            }

            if (i >= 500)
            {
                samples.Add(us);
            }
        }

        samples.Sort();
        return samples;
    }

    var pub = await RunAsync("/public", auth: false);
    var scoped = await RunAsync("/orders", auth: true);
    double P(List<double> s, double q) => s[(int)(s.Count * q)];
    return (P(pub, 0.5), P(scoped, 0.5), P(scoped, 0.5) - P(pub, 0.5), P(scoped, 0.99) - P(pub, 0.99));
}

async Task<string> TokenAsync()
{
    string admin = (await (await http.PostAsJsonAsync("/v1/admin/auth", new { secret })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    using var launch = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens")
    {
        Content = JsonContent.Create(new { agent_name = "bench", allowed_scope = new[] { "orders:read" }, max_ttl = 3600, allowed_audience = new[] { "orders-api" } }),
    };
    launch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
    string launchToken = (await (await http.SendAsync(launch)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("launch_token").GetString()!;
    string nonce = (await http.GetFromJsonAsync<JsonElement>("/v1/challenge")).GetProperty("nonce").GetString()!;
    using var key = Key.Create(SignatureAlgorithm.Ed25519);
    var registered = await http.PostAsJsonAsync("/v1/register", new
    {
        launch_token = launchToken, nonce, orch_id = "bench", task_id = "t1", requested_scope = new[] { "orders:read" }, audience = "orders-api",
        public_key = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
        signature = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
    });
    return (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
}
