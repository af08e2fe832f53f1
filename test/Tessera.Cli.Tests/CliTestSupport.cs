using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using Tessera.Broker.Hosting;

namespace Tessera.Cli.Tests;

/// <summary>
/// A real broker in this process on a loopback port (Kestrel, real HTTP), with its own SQLite
/// file and signing key in a temp directory: what the admin verbs talk to.
/// </summary>
internal sealed class CliBroker : IAsyncDisposable
{
    public const string AdminSecret = "cli-test-admin-secret-0123456789";

    private readonly WebApplication _app;
    private bool _stopped;

    private CliBroker(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
        Url = app.Urls.First();
        Client = new HttpClient { BaseAddress = new Uri(Url) };
    }

    public string Directory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The bound address, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; }

    public HttpClient Client { get; }

    public string DbPath => Path.Combine(Directory, "tessera.db");

    public static async Task<CliBroker> StartAsync(IDictionary<string, string?>? settings = null, string? directory = null)
    {
        directory ??= TesseraProcess.TempDirectory();
        System.IO.Directory.CreateDirectory(directory);
        var overrides = new Dictionary<string, string?>
        {
            ["admin_secret"] = AdminSecret,
            ["bcrypt_cost"] = "4",
            ["db"] = Path.Combine(directory, "tessera.db"),
            ["signing_key_path"] = Path.Combine(directory, "signing-key.json"),
            ["secret_pepper_path"] = Path.Combine(directory, "pepper"),
            ["issuer"] = "http://tessera.cli.test",
            ["trust_domain"] = "tessera.test",
            ["admin_auth_rate"] = "100000",
            ["admin_auth_burst"] = "100000",
            ["public_rate"] = "100000",
            ["public_burst"] = "100000",
        };
        var urls = new List<string> { "http://127.0.0.1:0" };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                if (k == "urls")
                {
                    urls = [v!];
                    continue;
                }

                overrides[k] = v;
            }
        }

        var app = BrokerHost.Build(urls, null, overrides, null, logging => logging.ClearProviders());
        await app.StartAsync();
        return new CliBroker(app, directory);
    }

    /// <summary>Stops the broker: the audit log drains and signs its shutdown checkpoint, the database closes.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>What an in-process verb wrote and returned.</summary>
internal sealed record CliResult(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

internal static class Cli
{
    /// <summary>The first line of <paramref name="text"/>: a refusal's error line, without the hint and broker lines after it.</summary>
    public static string FirstLine(string text) => text.Trim().Split('\n')[0].TrimEnd('\r');

    /// <summary>Runs a verb handler with captured writers and checks the admin secret never shows in its output.</summary>
    public static async Task<CliResult> RunAsync(Func<TextWriter, TextWriter, Task<int>> verb)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await verb(output, error);
        var result = new CliResult(code, output.ToString(), error.ToString());
        AssertNoSecret(result.Out, result.Err);
        return result;
    }

    /// <summary>Runs the real executable to completion.</summary>
    public static async Task<CliResult> RunProcessAsync(IDictionary<string, string?> environment, params string[] args)
    {
        using var process = TesseraProcess.Start(AppContext.BaseDirectory, environment, args);
        int code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var result = new CliResult(code, process.Stdout, process.Stderr);
        AssertNoSecret(result.Out, result.Err);
        return result;
    }

    /// <summary>Runs the real executable with <paramref name="input"/> on its standard input.</summary>
    public static async Task<CliResult> RunProcessWithInputAsync(IDictionary<string, string?> environment, string input, params string[] args)
    {
        using var process = TesseraProcess.Start(AppContext.BaseDirectory, environment, args);
        await process.WriteInputAsync(input);
        int code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var result = new CliResult(code, process.Stdout, process.Stderr);
        AssertNoSecret(result.Out, result.Err);
        return result;
    }

    public static Dictionary<string, string?> AdminEnvironment(string? secret = CliBroker.AdminSecret) =>
        secret is null ? [] : new() { ["TESSERA_ADMIN_SECRET"] = secret };

    public static void AssertNoSecret(params string[] texts)
    {
        foreach (string text in texts)
        {
            Assert.DoesNotContain(CliBroker.AdminSecret, text, StringComparison.Ordinal);
        }
    }

    /// <summary>The "key: value" lines of a verb's human output, as a dictionary (indented item lines are skipped).</summary>
    public static Dictionary<string, string> Fields(string output) =>
        output.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Match(l.TrimEnd('\r'), @"^([a-z_]+):\s+(.*)$")).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim(), StringComparer.Ordinal);

    /// <summary>The claims of a JWT (unverified: the broker's own tests check signatures).</summary>
    public static JsonObject Claims(string jwt)
    {
        string payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload += new string('=', (4 - (payload.Length % 4)) % 4);
        return JsonNode.Parse(Convert.FromBase64String(payload))!.AsObject();
    }

    /// <summary>Lines of a text, without empty ones.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs SQL against a database file directly (no pooling, so the file is closed afterwards).</summary>
    public static void Sql(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        cmd.ExecuteNonQuery();
    }

    /// <summary>One scalar from a database file.</summary>
    public static T Scalar<T>(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (T)Convert.ChangeType(cmd.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Registers an agent the way an agent SDK does: challenge, sign the nonce bytes with Ed25519, register.</summary>
internal static class AgentRegistration
{
    public static async Task<(string AgentId, string AccessToken)> RegisterAsync(HttpClient client, string launchToken, string taskId, params string[] scope)
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var challenge = await client.GetFromJsonAsync<JsonObject>("/v1/challenge");
        string nonce = challenge!["nonce"]!.GetValue<string>();
        var body = new JsonObject
        {
            ["launch_token"] = launchToken,
            ["nonce"] = nonce,
            ["public_key"] = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["signature"] = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
            ["orch_id"] = "orch-cli-tests",
            ["task_id"] = taskId,
            ["requested_scope"] = new JsonArray([.. scope.Select(s => JsonValue.Create(s))]),
        };
        using var response = await client.PostAsJsonAsync("/v1/register", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var json = JsonNode.Parse(text)!;
        return (json["agent_id"]!.GetValue<string>(), json["access_token"]!.GetValue<string>());
    }

    public static async Task<bool> IsValidAsync(HttpClient client, string token)
    {
        using var response = await client.PostAsJsonAsync("/v1/token/validate", new JsonObject { ["token"] = token });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        return json!["valid"]!.GetValue<bool>();
    }
}
