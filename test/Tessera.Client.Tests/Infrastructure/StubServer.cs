using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>A loopback Kestrel server that answers every request with <c>respond</c> and records what it received.</summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<PlatformRequest> _requests;

    private StubServer(WebApplication app, ConcurrentQueue<PlatformRequest> requests)
    {
        _app = app;
        _requests = requests;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<PlatformRequest> Requests => [.. _requests];

    public static async Task<StubServer> StartAsync(Func<HttpContext, Task> respond)
    {
        var requests = new ConcurrentQueue<PlatformRequest>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            await respond(context);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            requests.Enqueue(new PlatformRequest(context.Request.Method, context.Request.Path.Value ?? "/", headers, context.Response.StatusCode));
        });
        await app.StartAsync();
        return new StubServer(app, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
