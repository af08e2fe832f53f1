using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Tessera.Broker.Metrics;

/// <summary><c>GET /v1/metrics</c> (Prometheus text format) and the per-endpoint duration middleware.</summary>
internal static class MetricsEndpoints
{
    /// <remarks>Anonymous (documented): Prometheus scrapes it without credentials.</remarks>
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/v1/metrics", async (BrokerMetrics metrics, HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        })
        .AllowAnonymous()
        .WithName("getMetrics")
        .WithTags("Health")
        .WithSummary("Prometheus metrics (text exposition format 0.0.4)")
        .Produces(StatusCodes.Status200OK, contentType: "text/plain");

    /// <summary>Times each request under its route pattern (never the raw path: no unbounded labels).</summary>
    public static async Task TimeRequestAsync(HttpContext context, Func<Task> next)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next();
        }
        finally
        {
            string endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            context.RequestServices.GetRequiredService<BrokerMetrics>().RequestDuration.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
