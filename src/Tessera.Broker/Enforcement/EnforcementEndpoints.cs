using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Credentials;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Enforcement;

/// <summary>
/// <c>POST /v1/enforcement/reports</c>: a platform's verifier reports, in batches, what it allowed
/// and denied. Every event goes into the audit chain. For credential agents granted on the
/// reporting platform, permission denials (<c>MISSING_SCOPE</c>) count towards automatic
/// suspension and an allowed request resets the count; a platform cannot affect agents it does not serve.
/// </summary>
internal static class EnforcementEndpoints
{
    public const int MaxEvents = 1000;
    public const string PermissionDenied = "MISSING_SCOPE";

    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/enforcement/reports", ReportAsync).RequireAuthorization(BrokerPolicies.EnforcementReporter);

    private static async Task ReportAsync(HttpContext context)
    {
        var sp = context.RequestServices;
        var options = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        var audit = sp.GetRequiredService<AuditLog>();
        string platformId = context.Features.GetRequiredFeature<CredentialCheck>().PlatformId!;
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.EnforcementReport, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var events = body.Value!.Events;
        if (events is null || events.Length > MaxEvents)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, $"events must be a list of at most {MaxEvents} outcomes").ExecuteAsync(context);
            return;
        }

        for (int i = 0; i < events.Length; i++)
        {
            if (Check(events[i]) is { } problem)
            {
                await new ProblemResult(ErrorCatalog.InvalidRequest, $"events[{i}]: {problem}").ExecuteAsync(context);
                return;
            }
        }

        // Only outcomes about agents this platform serves (holds a grant for) are recorded under
        // those agents; a platform must not write the audit trail of agents it does not serve.
        var clients = sp.GetRequiredService<IClientStore>();
        var platforms = sp.GetRequiredService<IPlatformStore>();
        var served = new HashSet<string>(StringComparer.Ordinal);
        var unserved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!served.Contains(e!.AgentId!) && !unserved.Contains(e.AgentId!))
            {
                bool grant = await platforms.FindGrantAsync(e.AgentId!, platformId, context.RequestAborted) is not null;
                (grant ? served : unserved).Add(e.AgentId!);
            }
        }

        // Every served outcome is recorded, as one group-committed batch; the ignored ones as one
        // event about the platform's report, attributed to no agent.
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var writes = new List<Task>(events.Length);
        int ignored = 0;
        foreach (var e in events)
        {
            if (!served.Contains(e!.AgentId!))
            {
                ignored++;
                continue;
            }

            bool allowed = e.Outcome == "allowed";
            var code = e.ErrorCode is null ? AuditFragment.Empty : AuditFragment.Of($" | code={e.ErrorCode}");
            var at = e.At is { } when ? AuditFragment.Of($" | at={when}") : AuditFragment.Empty;
            var draft = new AuditEventDraft
            {
                TimestampMs = now,
                EventType = allowed ? AuditEventTypes.EnforcementAllowed : AuditEventTypes.EnforcementDenied,
                Outcome = allowed ? Tessera.Audit.AuditOutcomes.Success : Tessera.Audit.AuditOutcomes.Denied,
                Detail = AuditDraft.Detail($"{e.Method} {e.Route} | count={e.Count ?? 1}{code}{at} | platform_id={platformId}"),
                AgentId = e.AgentId!,
                Resource = platformId,
            };
            writes.Add(audit.RecordAsync(draft, cancellationToken: context.RequestAborted));
        }

        if (ignored > 0)
        {
            writes.Add(audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.EnforcementIgnored, Tessera.Audit.AuditOutcomes.Denied, $"enforcement report entries ignored: agents not served by this platform | platform_id={platformId} | ignored={ignored} | agents={unserved.Count}", resource: platformId),
                cancellationToken: context.RequestAborted));
        }

        await Task.WhenAll(writes);

        // Lifecycle: runs per agent, in report order, for agents this platform serves.
        var suspended = new List<string>();
        foreach (var group in events.Where(e => served.Contains(e!.AgentId!)).GroupBy(e => e!.AgentId!, StringComparer.Ordinal))
        {
            var runs = group
                .Where(e => e!.Outcome == "allowed" || e.ErrorCode == PermissionDenied)
                .Select(e => new OutcomeRun(e!.Outcome == "denied", e.Count ?? 1))
                .ToList();
            if (runs.Count == 0)
            {
                continue;
            }

            var result = await clients.ApplyOutcomesAsync(group.Key, runs, options.SuspendAfterDenials, time.GetUtcNow().ToUnixTimeMilliseconds(), context.RequestAborted);
            if (result.Suspended)
            {
                suspended.Add(group.Key);
                if (await clients.FindByEntityIdAsync(group.Key, context.RequestAborted) is { } agent)
                {
                    await AgentSuspension.RevokeOutstandingTokensAsync(sp, agent, $"{result.ConsecutiveDenials} consecutive permission denials reported", context.RequestAborted);
                }

                await audit.RecordAsync(
                    AuditDraft.Of(time, AuditEventTypes.AgentSuspended, Tessera.Audit.AuditOutcomes.Success, $"agent suspended | automatic: {result.ConsecutiveDenials} consecutive permission denials reported | platform_id={platformId}", group.Key, resource: platformId),
                    cancellationToken: context.RequestAborted);
            }
        }

        await Results.Json(new EnforcementReportResponse(events.Length - ignored, ignored, [.. suspended]), BrokerJson.Default.EnforcementReportResponse, statusCode: StatusCodes.Status202Accepted).ExecuteAsync(context);
    }

    private static string? Check(EnforcementEvent? e)
    {
        if (e is null)
        {
            return "must be an object";
        }

        if (string.IsNullOrEmpty(e.AgentId) || e.AgentId.Length > 2048 || e.AgentId.Any(char.IsControl))
        {
            return "agent_id is required";
        }

        if (e.Outcome is not ("allowed" or "denied"))
        {
            return "outcome must be allowed or denied";
        }

        if (e.Method is null || e.Method.Length is 0 or > 16 || !e.Method.All(c => c is >= 'A' and <= 'Z'))
        {
            return "method must be an upper-case HTTP method";
        }

        if (e.Route is null || e.Route.Length is 0 or > 1024)
        {
            return "route is required (at most 1024 characters)";
        }

        if (e.ErrorCode is { Length: > 64 })
        {
            return "error_code is at most 64 characters";
        }

        if (e.Count is { } count && count is < 1 or > 1_000_000)
        {
            return "count must be between 1 and 1000000";
        }

        return null;
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
