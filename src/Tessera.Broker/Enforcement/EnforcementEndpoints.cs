using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;

namespace Tessera.Broker.Enforcement;

/// <summary>
/// <c>POST /v1/enforcement/reports</c>: a platform's verifier reports, in batches, what it allowed
/// and denied. Every event goes into the audit chain. For credential agents granted on the
/// reporting platform, permission denials (<c>MISSING_SCOPE</c>) count towards automatic
/// suspension and an allowed request resets the count; a platform cannot affect agents it does not serve.
/// The report is checked by <see cref="EnforcementValidation"/>, recorded by <see cref="EnforcementLifecycle"/>.
/// </summary>
internal static class EnforcementEndpoints
{
    public const int MaxEvents = 1000;
    public const string PermissionDenied = "MISSING_SCOPE";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/v1/enforcement/reports", ReportAsync).RequireAuthorization(BrokerPolicies.EnforcementReporter)
            .WithName("enforcementReport")
            .WithSummary("Report allowed and denied requests (platform verifiers)")
            .WithDescription("A platform's verifier reports, in batches of at most 1000 events, which requests of agents it allowed and denied; authentication is HTTP Basic with the platform's own client_id and client_secret. Events about agents granted on the reporting platform are audited under those agents (enforcement_allowed, enforcement_denied); the others change nothing and are counted as ignored (one enforcement_ignored event). For a credential agent granted on the platform, a denied event with error_code MISSING_SCOPE adds its count to the agent's consecutive denials and an allowed event resets them; at suspend_after_denials the agent is suspended and listed in suspended.")
            .WithTags("Enforcement")
            .ProducesErrors(Tessera.Errors.ErrorCatalog.InvalidRequest);

    private static async Task<Results<Accepted<EnforcementReportResponse>, ProblemResult>> ReportAsync(
        RequestBody<EnforcementReport> body, HttpContext context, [AsParameters] EnforcementServices services, CancellationToken cancellationToken)
    {
        string platformId = context.Features.GetRequiredFeature<CredentialCheck>().PlatformId!;
        if (EnforcementValidation.CheckReport(body.Value) is { } invalid)
        {
            return invalid.ToResult();
        }

        var response = await EnforcementLifecycle.RecordAsync(body.Value.Events!, platformId, services, context.RequestServices, cancellationToken);
        return TypedResults.Accepted((string?)null, response);
    }
}

internal sealed class EnforcementReport
{
    public EnforcementEvent?[]? Events { get; set; }
}

internal sealed class EnforcementEvent
{
    public string? AgentId { get; set; }

    public string? Outcome { get; set; }

    public string? ErrorCode { get; set; }

    public string? Method { get; set; }

    public string? Route { get; set; }

    public int? Count { get; set; }

    public long? At { get; set; }
}

internal sealed record EnforcementReportResponse(int Accepted, int Ignored, string[] Suspended);
