using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>
/// A reverse proxy on loopback, as a TLS terminator or ingress would sit in front of the broker:
/// every request to its port is forwarded to <see cref="Target"/> (method, path, query, headers
/// other than hop-by-hop and Host, body) and the answer is copied back as it streams.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private LoopbackProxy(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The proxy's public address (what clients are told the broker is).</summary>
    public Uri Url { get; }

    /// <summary>Where requests go; may be set after the proxy started (the broker's port is known later).</summary>
    public Uri? Target { get; set; }

    /// <summary>How many requests were forwarded.</summary>
    public int Forwarded => _forwarded;

    private int _forwarded;

    /// <summary>Starts a proxy on <paramref name="port"/> (0 for any free port).</summary>
    public static async Task<LoopbackProxy> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        LoopbackProxy? proxy = null;
        app.Run(context => proxy!.ForwardAsync(context));
        await app.StartAsync();
        proxy = new LoopbackProxy(app, new Uri(app.Urls.First()));
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Target is null)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        Interlocked.Increment(ref _forwarded);
        var target = new Uri(Target, context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent());
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            body.Position = 0;
            request.Content = new StreamContent(body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        request.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString() ?? IPAddress.Loopback.ToString());
        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        _upstream.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
