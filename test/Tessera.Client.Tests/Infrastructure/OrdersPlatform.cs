using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.RouteScopes;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>One request as the platform saw it: method, path, every header, and the status it answered.</summary>
public sealed record PlatformRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, int Status)
{
    public string? Authorization => Headers.GetValueOrDefault("Authorization");
}

/// <summary>
/// An in-process copy of samples/PlatformApi (same endpoints, the sample's own tessera_scopes.yaml,
/// AddTessera against the broker) on a loopback port, recording every request it answers.
/// </summary>
public sealed class OrdersPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<PlatformRequest> _requests;

    private OrdersPlatform(WebApplication app, ConcurrentQueue<PlatformRequest> requests)
    {
        _app = app;
        _requests = requests;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
    }

    /// <summary>http://127.0.0.1:port/</summary>
    public Uri BaseAddress { get; }

    public IReadOnlyList<PlatformRequest> Requests => [.. _requests];

    public int Count(string method, string path) => _requests.Count(r => r.Method == method && r.Path == path);

    public void Clear() => _requests.Clear();

    /// <summary>Starts the platform; <paramref name="clockSkew"/> null keeps the verifier's default (30 s).</summary>
    public static async Task<OrdersPlatform> StartAsync(LoopbackBroker broker, TimeSpan? clockSkew = null, CapturedLogs? logs = null)
    {
        var requests = new ConcurrentQueue<PlatformRequest>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        logs?.AddTo(builder.Logging);
        builder.Services.AddAuthentication().AddTessera(o =>
        {
            o.Authority = broker.Url;
            o.Audience = LoopbackBroker.Platform;
            o.ValidIssuers.Add(LoopbackBroker.Issuer);
            if (clockSkew is { } skew)
            {
                o.ClockSkew = skew;
            }
        });

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            requests.Enqueue(new PlatformRequest(context.Request.Method, context.Request.Path.Value ?? "/", headers, context.Response.StatusCode));
        });
        app.UseTesseraRouteScopes(Path.Combine(AppContext.BaseDirectory, "tessera_scopes.yaml"));

        var orders = new ConcurrentDictionary<int, Order>();
        int next = 0;
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapGet("/orders", (HttpContext http) => Results.Ok(new { agent = http.User.FindFirst("sub")?.Value, orders = orders.Values.OrderBy(o => o.Id) }));
        app.MapGet("/orders/{id:int}", (int id) => orders.TryGetValue(id, out var order) ? Results.Ok(order) : Results.NotFound());
        app.MapPost("/orders", (HttpContext http, OrderRequest request) =>
        {
            var order = new Order(Interlocked.Increment(ref next), request.Item ?? "unnamed", http.User.FindFirst("sub")?.Value ?? "");
            orders[order.Id] = order;
            return Results.Created($"/orders/{order.Id}", order);
        });
        await app.StartAsync();
        return new OrdersPlatform(app, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Order(int Id, string Item, string CreatedBy);

    private sealed record OrderRequest(string? Item);
}
