using System.Net;
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
/// Rewrites the scopes file the broker sends while <see cref="Tamper"/> is set (a broker cannot be
/// made to render an invalid one), and counts the scopes-file requests and the 304s among their answers.
/// </summary>
public sealed class ScopesFileTamperingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private int _fetches;
    private int _notModified;

    /// <summary>The body served instead of the broker's 200, or null to pass it through.</summary>
    public string? Tamper { get; set; }

    public int ScopesFileFetches => Volatile.Read(ref _fetches);

    public int NotModified => Volatile.Read(ref _notModified);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        bool scopesFile = request.RequestUri?.AbsolutePath.EndsWith("/scopes-file", StringComparison.Ordinal) == true;
        if (scopesFile)
        {
            // Counted before sending: a fetch from a broker that is down counts too.
            Interlocked.Increment(ref _fetches);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (scopesFile)
        {
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                Interlocked.Increment(ref _notModified);
            }

            if (Tamper is { } body && response.StatusCode == HttpStatusCode.OK)
            {
                var etag = response.Headers.ETag;
                response.Dispose();
                response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/yaml"), RequestMessage = request };
                response.Headers.ETag = etag;
            }
        }

        return response;
    }
}

/// <summary>The orders API of <see cref="ProtectedApi"/>, its routes taken from the broker (<c>UseTesseraRouteScopesFromBroker</c>).</summary>
public sealed class BrokerRoutesApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BrokerRoutesApi(WebApplication app, ScopesFileTamperingHandler backchannel, CapturedLogs logs)
    {
        _app = app;
        Backchannel = backchannel;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public ScopesFileTamperingHandler Backchannel { get; }

    public CapturedLogs Logs { get; }

    public HttpClient Client { get; }

    public static async Task<BrokerRoutesApi> StartAsync(
        string authority, string? clientId, string? clientSecret, TimeSpan refreshInterval, Action<TesseraAuthenticationOptions>? configure = null)
    {
        var backchannel = new ScopesFileTamperingHandler();
        var logs = new CapturedLogs();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        logs.AddTo(builder.Logging);
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = authority;
            o.Audience = TesseraBroker.Audience;
            o.ValidIssuers.Add(TesseraBroker.Issuer);
            o.BackchannelHandler = backchannel;
            o.ClientId = clientId;
            o.ClientSecret = clientSecret;
            configure?.Invoke(o);
        });

        var app = builder.Build();
        app.UseTesseraRouteScopesFromBroker(o => o.RefreshInterval = refreshInterval);
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/orders", () => Results.Ok(new { orders = Array.Empty<int>() }));
        app.MapGet("/orders/{id:int}", (int id) => Results.Ok(new { id }));
        app.MapPost("/orders", () => Results.Created("/orders/1", new { id = 1 }));
        await app.StartAsync();
        return new BrokerRoutesApi(app, backchannel, logs);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Backchannel.Dispose();
    }
}
