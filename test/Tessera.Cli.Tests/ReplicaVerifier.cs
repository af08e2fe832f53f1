using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;

namespace Tessera.Cli.Tests;

/// <summary>
/// A platform API on a loopback port (real Kestrel, real HTTP) protected by Tessera.AspNetCore:
/// <c>AddTessera</c> pointed at one broker replica, which it also follows for revocations, and
/// <c>UseTesseraRouteScopes</c> requiring <see cref="Scope"/> on <see cref="Route"/>.
/// </summary>
internal sealed class ReplicaVerifier : IAsyncDisposable
{
    public const string Route = "/data/x";
    public const string Scope = "read:data:x";

    private readonly WebApplication _app;
    private readonly string _directory;

    private ReplicaVerifier(WebApplication app, string directory)
    {
        _app = app;
        _directory = directory;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public HttpClient Client { get; }

    /// <summary>Starts the API against the replica at <paramref name="authority"/>.</summary>
    /// <param name="issuer">The broker's <c>iss</c> (its configured issuer, not the replica's URL).</param>
    /// <param name="audience">What the broker put in <c>aud</c>.</param>
    public static async Task<ReplicaVerifier> StartAsync(string authority, string issuer, string audience)
    {
        string directory = TesseraProcess.TempDirectory();
        string scopes = Path.Combine(directory, "tessera_scopes.yaml");
        await File.WriteAllTextAsync(scopes, $"""
            platform_id: replica-api
            version: "1"
            routes:
              - method: GET
                path: {Route}
                scope: {Scope}

            """);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = authority;
            o.Audience = audience;
            o.ValidIssuers.Add(issuer);
            o.Algorithm = "EdDSA";
        });

        var app = builder.Build();
        app.UseTesseraRouteScopes(scopes);
        app.MapGet(Route, (HttpContext http) => Results.Ok(new { agent = http.User.FindFirst("sub")?.Value }));
        await app.StartAsync();
        return new ReplicaVerifier(app, directory);
    }

    /// <summary>GET <see cref="Route"/> with <paramref name="token"/> as the bearer.</summary>
    public async Task<HttpResponseMessage> GetAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Route);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Client.SendAsync(request);
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
}
