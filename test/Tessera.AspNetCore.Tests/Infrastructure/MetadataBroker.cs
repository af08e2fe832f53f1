using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A stand-in broker on a loopback Kestrel port: it serves whatever metadata document and JWKS a
/// test sets (the keys of a <see cref="TestIssuer"/>), so discovery is exercised over real HTTP.
/// </summary>
public sealed class MetadataBroker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _metadataFetches;
    private int _jwksFetches;

    private MetadataBroker(WebApplication app, TestIssuer keys)
    {
        _app = app;
        Keys = keys;
        Url = app.Urls.First().TrimEnd('/');
    }

    /// <summary>The base URL it listens on (the platform's Authority).</summary>
    public string Url { get; }

    /// <summary>Whose keys the JWKS serves.</summary>
    public TestIssuer Keys { get; }

    /// <summary>The metadata document; null answers 404 (a broker without one).</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Status of the metadata answer when not 200/404 (e.g. 500); 0 serves <see cref="Metadata"/>.</summary>
    public int MetadataStatus { get; set; }

    /// <summary>Status of the JWKS answer instead of the keys (e.g. 500); 0 serves the keys.</summary>
    public int JwksStatus { get; set; }

    public int MetadataFetches => Volatile.Read(ref _metadataFetches);

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    /// <summary>A metadata document naming <paramref name="issuer"/> and <paramref name="jwksUri"/> (default: under the issuer).</summary>
    public static JsonObject Document(string issuer, string? jwksUri = null) => new()
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = jwksUri ?? issuer.TrimEnd('/') + "/.well-known/jwks.json",
        ["token_endpoint"] = issuer.TrimEnd('/') + "/v1/token",
    };

    public static async Task<MetadataBroker> StartAsync(TestIssuer keys)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        MetadataBroker? self = null;
        app.MapGet("/.well-known/tessera-configuration", () =>
        {
            Interlocked.Increment(ref self!._metadataFetches);
            return self.MetadataStatus != 0 ? Results.StatusCode(self.MetadataStatus)
                : self.Metadata is { } document ? Results.Text(document.ToJsonString(), "application/json")
                : Results.NotFound();
        });
        app.MapGet("/.well-known/jwks.json", () =>
        {
            Interlocked.Increment(ref self!._jwksFetches);
            return self.JwksStatus != 0 ? Results.StatusCode(self.JwksStatus)
                : Results.Text((self.Keys.Jwks ?? new JsonObject()).ToJsonString(), "application/json");
        });
        await app.StartAsync();
        self = new MetadataBroker(app, keys);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
