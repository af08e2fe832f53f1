using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Audit;
using Tessera.Broker.Http;
using Tessera.Storage.Health;

namespace Tessera.Broker.Health;

/// <summary><c>GET /v1/health</c>.</summary>
internal static class HealthEndpoints
{
    /// <remarks>Anonymous: load balancers and orchestrators probe it without credentials.</remarks>
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/v1/health", HealthAsync)
        .AllowAnonymous()
        .WithName("getHealth")
        .WithTags("Health")
        .WithSummary("Whether the broker serves and its storage answers")
        .WithDescription("200 with status `ok` when the storage answered a ping, 503 with status `degraded` (same body) when it did not. Uptime in whole seconds, rounded up; `audit_events` counts the events this process wrote.")
        .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> HealthAsync(
        BrokerClock started, IStorageHealth storage, AuditLog audit, CancellationToken cancellationToken)
    {
        bool db = await storage.PingAsync(cancellationToken);
        var response = new HealthResponse(
            db ? "ok" : "degraded",
            BrokerVersion.Value,
            // Whole seconds, rounded up: a broker that answers has been up for at least one started second.
            Math.Max(1, (long)Math.Ceiling(started.Uptime.TotalSeconds)),
            db,
            audit.Count);
        return db ? TypedResults.Ok(response) : TypedResults.Json(response, BrokerJson.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
