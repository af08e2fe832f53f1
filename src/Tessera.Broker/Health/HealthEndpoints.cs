using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Audit;
using Tessera.Broker.Http;
using Tessera.Storage.Health;

namespace Tessera.Broker.Health;

/// <summary><c>GET /v1/health</c>.</summary>
internal static class HealthEndpoints
{
    /// <remarks>Anonymous: load balancers and orchestrators probe it without credentials.</remarks>
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/v1/health", Health).AllowAnonymous();

    private static async Task Health(HttpContext context)
    {
        var services = context.RequestServices;
        var started = services.GetRequiredService<BrokerClock>();
        bool db = await services.GetRequiredService<IStorageHealth>().PingAsync(context.RequestAborted);
        var response = new HealthResponse(
            db ? "ok" : "degraded",
            BrokerVersion.Value,
            // Whole seconds, rounded up: a broker that answers has been up for at least one started second.
            Math.Max(1, (long)Math.Ceiling(started.Uptime.TotalSeconds)),
            db,
            services.GetRequiredService<AuditLog>().Count);
        await Results.Json(response, BrokerJson.Default.HealthResponse, statusCode: db ? 200 : 503).ExecuteAsync(context);
    }
}
