using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tessera.Broker.Hosting;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>
/// A real broker on a loopback port (Kestrel, real HTTP), with its own SQLite file and key in a
/// temp directory, a fake clock, and every log line captured for inspection.
/// </summary>
public sealed class BrokerFixture : IAsyncDisposable
{
    public const string AdminSecret = "test-admin-secret-0123456789-xyz";

    private readonly WebApplication _app;

    private BrokerFixture(WebApplication app, string directory, FakeTimeProvider time, ConcurrentQueue<string> logs, Uri baseAddress)
    {
        _app = app;
        Directory = directory;
        Time = time;
        Logs = logs;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public string Directory { get; }

    public FakeTimeProvider Time { get; }

    public ConcurrentQueue<string> Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public string DbPath => Path.Combine(Directory, "tessera.db");

    /// <summary>Starts a broker; <c>configure</c> runs on the built application before it starts (to map an extra endpoint, say).</summary>
    public static async Task<BrokerFixture> StartAsync(
        IDictionary<string, string?>? settings = null, string? directory = null, FakeTimeProvider? time = null, Action<WebApplication>? configure = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "tessera-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        time ??= new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var overrides = new Dictionary<string, string?>
        {
            ["admin_secret"] = AdminSecret,
            ["bcrypt_cost"] = "4",
            ["db"] = Path.Combine(directory, "tessera.db"),
            ["signing_key_path"] = Path.Combine(directory, "signing-key.json"),
            ["secret_pepper_path"] = Path.Combine(directory, "pepper"),
            ["issuer"] = "http://tessera.test",
            ["trust_domain"] = "tessera.test",

            // Tests authenticate often; the rate-limit test sets its own tight limits.
            ["admin_auth_rate"] = "100000",
            ["admin_auth_burst"] = "100000",
            ["public_rate"] = "100000",
            ["public_burst"] = "100000",
            ["renew_rate"] = "100000",
            ["renew_burst"] = "100000",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                overrides[k] = v;
            }
        }

        var logs = new ConcurrentQueue<string>();
        var app = BrokerHost.Build(["http://127.0.0.1:0"], null, overrides, time, logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new CapturingLoggerProvider(logs));
        });
        configure?.Invoke(app);
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new BrokerFixture(app, directory, time, logs, address);
    }

    /// <summary>Stops this broker and starts a new one on the same directory (a restart).</summary>
    public async Task<BrokerFixture> RestartAsync(IDictionary<string, string?>? settings = null)
    {
        await StopAsync();
        return await StartAsync(settings, Directory, Time);
    }

    public async Task StopAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async Task<string> AdminTokenAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/admin/auth", new { secret = AdminSecret });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    public async Task<JsonObject> CreateLaunchTokenAsync(object body, string? adminToken = null)
    {
        adminToken ??= await AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", adminToken);
        var response = await Client.SendAsync(request);
        Assert.Equal(201, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<string> LaunchTokenAsync(string[]? scope = null, int maxTtl = 300, bool singleUse = true, string[]? audience = null)
    {
        var body = new Dictionary<string, object>
        {
            ["agent_name"] = "test-agent",
            ["allowed_scope"] = scope ?? ["read:data:*"],
            ["max_ttl"] = maxTtl,
            ["single_use"] = singleUse,
            ["ttl"] = 30,
        };
        if (audience is not null)
        {
            body["allowed_audience"] = audience;
        }

        return (await CreateLaunchTokenAsync(body))["launch_token"]!.GetValue<string>();
    }

    public async Task<string> NonceAsync()
    {
        var json = await Client.GetFromJsonAsync<JsonObject>("/v1/challenge");
        return json!["nonce"]!.GetValue<string>();
    }

    /// <summary>Registers an agent end to end; returns the response JSON (agent_id, access_token...).</summary>
    public async Task<(JsonObject Body, AgentKey Key)> RegisterAsync(
        string? launchToken = null, string[]? requestedScope = null, string orchId = "orch-1", string taskId = "task-1", string? audience = null)
    {
        launchToken ??= await LaunchTokenAsync();
        var key = AgentKey.Create();
        string nonce = await NonceAsync();
        var body = new Dictionary<string, object?>
        {
            ["launch_token"] = launchToken,
            ["nonce"] = nonce,
            ["public_key"] = key.PublicKeyBase64,
            ["signature"] = key.SignNonce(nonce),
            ["orch_id"] = orchId,
            ["task_id"] = taskId,
            ["requested_scope"] = requestedScope ?? ["read:data:*"],
        };
        if (audience is not null)
        {
            body["audience"] = audience;
        }

        var response = await Client.PostAsJsonAsync("/v1/register", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (JsonNode.Parse(text)!.AsObject(), key);
    }

    public async Task<JsonObject> ValidateAsync(string token)
    {
        var response = await Client.PostAsJsonAsync("/v1/token/validate", new { token });
        Assert.Equal(200, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<HttpResponseMessage> PostWithBearerAsync(string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        request.Headers.Authorization = new("Bearer", token);
        return await Client.SendAsync(request);
    }

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal((int)response.StatusCode, json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(json["request_id"]?.GetValue<string>()));
        Assert.StartsWith("urn:tessera:error:", json["type"]!.GetValue<string>());
        return json;
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    lines.Enqueue($"  {key}={value}");
                }
            }
        }
    }
}
