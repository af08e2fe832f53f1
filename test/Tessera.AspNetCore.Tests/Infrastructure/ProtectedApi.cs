using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>Counts the JWKS requests that go through it.</summary>
public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private int _jwksFetches;

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath.EndsWith("/jwks.json", StringComparison.Ordinal) == true)
        {
            Interlocked.Increment(ref _jwksFetches);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// An in-process copy of samples/PlatformApi on a loopback port, protected by AddTessera and
/// UseTesseraRouteScopes over a temp copy of the sample's scopes file.
/// </summary>
public sealed class ProtectedApi : IAsyncDisposable
{
    public const string SampleScopes = """
        platform_id: orders-api
        version: "1"
        routes:
          - method: GET
            path: /health
            public: true
          - method: GET
            path: /orders
            scope: orders:read
          - method: GET
            path: /orders/{id}
            scope: orders:read
          - method: POST
            path: /orders
            scope: orders:write
          - method: GET
            path: /internal/debug
            skip: true

        """;

    private readonly WebApplication _app;

    private ProtectedApi(WebApplication app, string directory, string scopesPath, CountingHandler backchannel)
    {
        _app = app;
        Directory = directory;
        ScopesPath = scopesPath;
        Backchannel = backchannel;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public string Directory { get; }

    public string ScopesPath { get; }

    public CountingHandler Backchannel { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ProtectedApi> StartAsync(
        string authority,
        string issuer = TesseraBroker.Issuer,
        string? scopesYaml = SampleScopes,
        TimeProvider? time = null,
        Action<TesseraAuthenticationOptions>? configure = null,
        Action<ILoggingBuilder>? logging = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-api-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        string scopesPath = Path.Combine(directory, "tessera_scopes.yaml");
        await File.WriteAllTextAsync(scopesPath, scopesYaml ?? "");

        var backchannel = new CountingHandler();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = authority;
            o.Audience = TesseraBroker.Audience;
            o.ValidIssuers.Add(issuer);
            o.BackchannelHandler = backchannel;
            configure?.Invoke(o);
        });

        var app = builder.Build();
        app.UseTesseraRouteScopes(scopesPath);
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/orders", (HttpContext http) => Results.Ok(new
        {
            agent = http.User.FindFirst("sub")?.Value,
            scopes = http.User.FindAll("scope").Select(c => c.Value).ToArray(),
            authenticated = http.User.Identity?.IsAuthenticated ?? false,
        }));
        app.MapGet("/orders/{id:int}", (int id) => Results.Ok(new { id }));
        app.MapPost("/orders", (HttpContext http) => Results.Created("/orders/1", new { id = 1, created_by = http.User.FindFirst("sub")?.Value }));
        app.MapGet("/internal/debug", () => Results.Ok(new { secret = "never reachable" }));
        await app.StartAsync();
        return new ProtectedApi(app, directory, scopesPath, backchannel);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null, string? rawAuthorization = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("{\"item\":\"widget\"}", Encoding.UTF8, "application/json");
        }

        if (rawAuthorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", rawAuthorization);
        }
        else if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token = null) => SendAsync(HttpMethod.Get, path, token);

    /// <summary>Writes the scopes file in place (as an editor would).</summary>
    public Task WriteScopesAsync(string yaml) => File.WriteAllTextAsync(ScopesPath, yaml);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Backchannel.Dispose();
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

/// <summary>Assertions on the verifier's refusals, and JWT forging.</summary>
public static class Refusal
{
    /// <summary>Asserts status, problem+json with <c>error_code</c>, and returns the body.</summary>
    public static async Task<JsonObject> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, json["error_code"]!.GetValue<string>());
        Assert.Equal((int)status, json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(json["message"]?.GetValue<string>()));
        return json;
    }

    /// <summary>Asserts a 401 refusal with its RFC 6750 challenge.</summary>
    public static async Task<JsonObject> Assert401Async(HttpResponseMessage response, string code, string? bearerError)
    {
        var json = await AssertAsync(response, HttpStatusCode.Unauthorized, code);
        string challenge = WwwAuthenticate(response);
        Assert.StartsWith("Bearer", challenge, StringComparison.Ordinal);
        if (bearerError is null)
        {
            Assert.DoesNotContain("error=", challenge, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"error=\"{bearerError}\"", challenge, StringComparison.Ordinal);
            Assert.Contains("error_description=\"", challenge, StringComparison.Ordinal);
        }

        return json;
    }

    public static string WwwAuthenticate(HttpResponseMessage response) => string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));

    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    public static string Encode(JsonObject json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));

    public static string WithPayload(string token, JsonObject payload)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Encode(payload)}.{parts[2]}";
    }

    public static string WithHeader(string token, JsonObject header)
    {
        var parts = token.Split('.');
        return $"{Encode(header)}.{parts[1]}.{parts[2]}";
    }

    private static JsonObject Decode(string segment) => JsonNode.Parse(Base64Url.DecodeFromChars(segment))!.AsObject();
}
