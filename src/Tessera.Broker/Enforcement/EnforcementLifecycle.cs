using Microsoft.Extensions.Options;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Credentials;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Enforcement;

/// <summary>
/// What <c>POST /v1/enforcement/reports</c> works with, bound from DI as one handler parameter (<c>[AsParameters]</c>).
/// </summary>
/// <param name="Options">The broker's settings (<c>suspend_after_denials</c>).</param>
/// <param name="Time">The clock.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Clients">The credential agents (their denial counters and status).</param>
/// <param name="Platforms">The platforms' grants (which agents the reporter serves).</param>
internal readonly record struct EnforcementServices(
    IOptions<BrokerOptions> Options,
    TimeProvider Time,
    AuditLog Audit,
    IClientStore Clients,
    IPlatformStore Platforms);

/// <summary>
/// A platform's validated report, recorded: each outcome about an agent the platform serves into the
/// audit chain, the rest as one <c>enforcement_ignored</c> event; then, per served agent in report
/// order, permission denials count towards automatic suspension and an allowed request resets the count.
/// </summary>
internal static class EnforcementLifecycle
{
    /// <summary>Records <paramref name="events"/> reported by <paramref name="platformId"/>.</summary>
    /// <param name="events">The validated events (none null).</param>
    /// <param name="platformId">The reporting platform.</param>
    /// <param name="s">The stores and the audit trail.</param>
    /// <param name="requestServices">The request's services, for revoking a suspended agent's tokens.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public static async Task<EnforcementReportResponse> RecordAsync(
        EnforcementEvent?[] events, string platformId, EnforcementServices s, IServiceProvider requestServices, CancellationToken cancellationToken)
    {
        var options = s.Options.Value;
        var time = s.Time;
        var audit = s.Audit;
        var clients = s.Clients;

        // Only outcomes about agents this platform serves (holds a grant for) are recorded under
        // those agents; a platform must not write the audit trail of agents it does not serve.
        var served = new HashSet<string>(StringComparer.Ordinal);
        var unserved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!served.Contains(e!.AgentId!) && !unserved.Contains(e.AgentId!))
            {
                bool grant = await s.Platforms.FindGrantAsync(e.AgentId!, platformId, cancellationToken) is not null;
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

            bool allowed = e.Outcome == EnforcementValidation.Allowed;
            var code = e.ErrorCode is null ? AuditFragment.Empty : AuditFragment.Of($" | code={e.ErrorCode}");
            var at = e.At is { } when ? AuditFragment.Of($" | at={when}") : AuditFragment.Empty;
            var draft = new AuditEventDraft
            {
                TimestampMs = now,
                EventType = allowed ? AuditEventTypes.EnforcementAllowed : AuditEventTypes.EnforcementDenied,
                Outcome = allowed ? AuditOutcomes.Success : AuditOutcomes.Denied,
                Detail = AuditDraft.Detail($"{e.Method} {e.Route} | count={e.Count ?? 1}{code}{at} | platform_id={platformId}"),
                AgentId = e.AgentId!,
                Resource = platformId,
            };
            writes.Add(audit.RecordAsync(draft, cancellationToken: cancellationToken));
        }

        if (ignored > 0)
        {
            writes.Add(audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.EnforcementIgnored, AuditOutcomes.Denied, $"enforcement report entries ignored: agents not served by this platform | platform_id={platformId} | ignored={ignored} | agents={unserved.Count}", resource: platformId),
                cancellationToken: cancellationToken));
        }

        await Task.WhenAll(writes);

        // Lifecycle: runs per agent, in report order, for agents this platform serves.
        var suspended = new List<string>();
        foreach (var group in events.Where(e => served.Contains(e!.AgentId!)).GroupBy(e => e!.AgentId!, StringComparer.Ordinal))
        {
            var runs = group
                .Where(e => e!.Outcome == EnforcementValidation.Allowed || e.ErrorCode == EnforcementEndpoints.PermissionDenied)
                .Select(e => new OutcomeRun(e!.Outcome == EnforcementValidation.Denied, e.Count ?? 1))
                .ToList();
            if (runs.Count == 0)
            {
                continue;
            }

            var result = await clients.ApplyOutcomesAsync(group.Key, runs, options.SuspendAfterDenials, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
            if (result.Suspended)
            {
                suspended.Add(group.Key);
                if (await clients.FindByEntityIdAsync(group.Key, cancellationToken) is { } agent)
                {
                    await AgentSuspension.RevokeOutstandingTokensAsync(requestServices, agent, $"{result.ConsecutiveDenials} consecutive permission denials reported", cancellationToken);
                }

                await audit.RecordAsync(
                    AuditDraft.Of(time, AuditEventTypes.AgentSuspended, AuditOutcomes.Success, $"agent suspended | automatic: {result.ConsecutiveDenials} consecutive permission denials reported | platform_id={platformId}", group.Key, resource: platformId),
                    cancellationToken: cancellationToken);
            }
        }

        return new EnforcementReportResponse(events.Length - ignored, ignored, [.. suspended]);
    }
}
