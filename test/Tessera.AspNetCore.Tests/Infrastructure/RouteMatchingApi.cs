using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A Kestrel app on loopback whose endpoints overlap the way findings 17.1 and 18.3 need: a literal
/// <c>/orders/export</c> beside <c>/orders/{id}</c>, a skipped <c>/internal/debug</c>, and a public
/// catch-all <c>/{*rest}</c>. Every handler counts its runs, so a test can prove a handler did not run.
/// </summary>
public sealed class RouteMatchingApi : IAsyncDisposable
{
    /// <summary>The rules with each literal before the parameter or catch-all that also matches it.</summary>
    public const string LiteralFirst = """
        platform_id: orders-api
        version: 1
        routes:
          - {method: GET, path: /health, public: true}
          - {method: GET, path: /orders, scope: orders:read}
          - {method: GET, path: /orders/export, scope: orders:admin}
          - {method: GET, path: '/orders/{id}', scope: orders:read}
          - {method: GET, path: /internal/debug, skip: true}
          - {method: GET, path: '/{*rest}', public: true}

        """;

    /// <summary>The same rules in the reverse order: under first-match-wins every request was public.</summary>
    public const string ParameterFirst = """
        platform_id: orders-api
        version: 1
        routes:
          - {method: GET, path: '/{*rest}', public: true}
          - {method: GET, path: /internal/debug, skip: true}
          - {method: GET, path: '/orders/{id}', scope: orders:read}
          - {method: GET, path: /orders/export, scope: orders:admin}
          - {method: GET, path: /orders, scope: orders:read}
          - {method: GET, path: /health, public: true}

        """;

    private readonly WebApplication _app;
    private readonly string _directory;

    private RouteMatchingApi(WebApplication app, string directory, ConcurrentDictionary<string, int> runs)
    {
        _app = app;
        _directory = directory;
        Runs = runs;
        BaseAddress = new Uri(app.Urls.First());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>Handler name → times it ran.</summary>
    public ConcurrentDictionary<string, int> Runs { get; }

    public int RunsOf(string handler) => Runs.GetValueOrDefault(handler);

    public static async Task<RouteMatchingApi> StartAsync(TestIssuer issuer, string scopesYaml)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-route-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string scopesPath = Path.Combine(directory, "tessera_scopes.yaml");
        await File.WriteAllTextAsync(scopesPath, scopesYaml);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            issuer.Configure(o);
            o.Audience = TesseraBroker.Audience;
            o.ValidIssuers.Add(TestIssuer.Url);
        });

        var runs = new ConcurrentDictionary<string, int>();
        var app = builder.Build();
        app.UseTesseraRouteScopes(scopesPath);
        app.MapGet("/health", () => Ran(runs, "health"));
        app.MapGet("/orders", () => Ran(runs, "orders"));
        app.MapGet("/orders/export", () => Ran(runs, "export"));
        app.MapGet("/orders/{id}", (string id) => Ran(runs, "order"));
        app.MapGet("/internal/debug", () => Ran(runs, "debug"));
        app.MapGet("/{*rest}", () => Ran(runs, "catch-all"));
        await app.StartAsync();
        return new RouteMatchingApi(app, directory, runs);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token = null, string method = "GET")
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return Client.SendAsync(request);
    }

    /// <summary>
    /// Sends <paramref name="target"/> as the request-target byte for byte (HttpClient cannot send
    /// <c>//orders/export</c>, it reads it as a host, and it may decode <c>%6F</c> before sending)
    /// and returns the status and the whole response.
    /// </summary>
    public async Task<(int Status, string Response)> RawGetAsync(string target, string? token = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(BaseAddress.Host, BaseAddress.Port);
        await using var stream = tcp.GetStream();
        string authorization = token is null ? "" : $"Authorization: Bearer {token}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {BaseAddress.Authority}\r\n{authorization}Connection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        return (int.Parse(response.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), response);
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

    private static IResult Ran(ConcurrentDictionary<string, int> runs, string handler)
    {
        runs.AddOrUpdate(handler, 1, (_, n) => n + 1);
        return Results.Ok(new { handler });
    }
}

/// <summary>One issuer and two apps, one per file order.</summary>
public sealed class RouteMatchingApps : IAsyncLifetime
{
    private RouteMatchingApi? _literalFirst;
    private RouteMatchingApi? _parameterFirst;

    public TestIssuer Issuer { get; } = new();

    public RouteMatchingApi this[string order] => order switch
    {
        "literal_first" => _literalFirst!,
        "parameter_first" => _parameterFirst!,
        _ => throw new ArgumentOutOfRangeException(nameof(order)),
    };

    public string Token(string scope) => Issuer.Sign(TestIssuer.Claims(scope));

    public async Task InitializeAsync()
    {
        _literalFirst = await RouteMatchingApi.StartAsync(Issuer, RouteMatchingApi.LiteralFirst);
        _parameterFirst = await RouteMatchingApi.StartAsync(Issuer, RouteMatchingApi.ParameterFirst);
    }

    public async Task DisposeAsync()
    {
        if (_literalFirst is not null)
        {
            await _literalFirst.DisposeAsync();
        }

        if (_parameterFirst is not null)
        {
            await _parameterFirst.DisposeAsync();
        }

        Issuer.Dispose();
    }
}
