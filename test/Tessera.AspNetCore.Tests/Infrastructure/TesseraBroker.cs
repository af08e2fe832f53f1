using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using Tessera.Broker.Hosting;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>A real broker on a loopback port with its own SQLite file and key in a temp directory.</summary>
public sealed class TesseraBroker : IAsyncDisposable
{
    public const string AdminSecret = "aspnetcore-test-admin-secret-0123456789";
    public const string Issuer = "http://tessera.test";
    public const string Audience = "orders-api";

    private readonly WebApplication _app;

    private TesseraBroker(WebApplication app, string directory, Uri baseAddress)
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

    /// <summary>Starts a broker; <paramref name="publicFeed"/> false makes its revocation feed require a credential (the default of a real broker).</summary>
    public static async Task<TesseraBroker> StartAsync(bool publicFeed = true)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-aspnet-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var overrides = new Dictionary<string, string?>
        {
            ["admin_secret"] = AdminSecret,
            ["bcrypt_cost"] = "4",
            ["db"] = Path.Combine(directory, "tessera.db"),
            ["signing_key_path"] = Path.Combine(directory, "signing-key.json"),
            ["profile_signing_key_path"] = Path.Combine(directory, "signing-key-rs256.json"),
            ["secret_pepper_path"] = Path.Combine(directory, "pepper"),
            ["issuer"] = Issuer,
            ["trust_domain"] = "tessera.test",
            ["admin_auth_rate"] = "100000",
            ["admin_auth_burst"] = "100000",
            ["public_rate"] = "100000",
            ["public_burst"] = "100000",
            ["renew_rate"] = "100000",
            ["renew_burst"] = "100000",

            // Most tests here run a verifier without platform credentials; the feed's credential is
            // tested with brokers that keep their default (RevocationFeedEndToEndTests).
            ["public_revocation_feed"] = publicFeed ? "true" : "false",
        };
        var app = BrokerHost.Build(["http://127.0.0.1:0"], null, overrides, null, logging =>
        {
            logging.ClearProviders();
        });
        await app.StartAsync();
        return new TesseraBroker(app, directory, new Uri(app.Urls.First()));
    }

    public async Task<string> AdminTokenAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/admin/auth", new { secret = AdminSecret });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    /// <summary>Registers an agent end to end and returns its access token.</summary>
    public async Task<string> TokenAsync(string[] scope, string audience = Audience)
    {
        string admin = await AdminTokenAsync();
        using var launchRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["agent_name"] = "orders-agent",
                ["allowed_scope"] = scope,
                ["allowed_audience"] = new[] { audience },
                ["max_ttl"] = 300,
                ["single_use"] = true,
                ["ttl"] = 30,
            }),
        };
        launchRequest.Headers.Authorization = new("Bearer", admin);
        var launchResponse = await Client.SendAsync(launchRequest);
        string launchText = await launchResponse.Content.ReadAsStringAsync();
        Assert.True(launchResponse.IsSuccessStatusCode, launchText);
        string launchToken = JsonNode.Parse(launchText)!["launch_token"]!.GetValue<string>();

        string nonce = (await Client.GetFromJsonAsync<JsonObject>("/v1/challenge"))!["nonce"]!.GetValue<string>();
        using var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var body = new Dictionary<string, object?>
        {
            ["launch_token"] = launchToken,
            ["nonce"] = nonce,
            ["public_key"] = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["signature"] = Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(key, Convert.FromHexString(nonce))),
            ["orch_id"] = "orch-1",
            ["task_id"] = "task-1",
            ["requested_scope"] = scope,
            ["audience"] = audience,
        };
        var response = await Client.PostAsJsonAsync("/v1/register", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }

    /// <summary>Rotates the broker's signing key; returns the new active kid.</summary>
    public async Task<string> RotateKeyAsync()
    {
        string admin = await AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/keys/rotate");
        request.Headers.Authorization = new("Bearer", admin);
        var response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["active_kid"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
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

/// <summary>One broker shared by the tests of a class.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private TesseraBroker? _broker;

    public TesseraBroker Broker => _broker ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _broker = await TesseraBroker.StartAsync();

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
