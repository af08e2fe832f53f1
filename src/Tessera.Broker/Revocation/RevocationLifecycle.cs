using Microsoft.Extensions.Options;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Metrics;
using Tessera.Identity;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// What <c>POST /v1/revoke</c> works with, bound from DI as one handler parameter (<c>[AsParameters]</c>).
/// </summary>
/// <param name="Options">The broker's settings.</param>
/// <param name="Time">The clock.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Metrics">The broker's metrics.</param>
/// <param name="Agents">The registered agents (marked revoked at level agent).</param>
/// <param name="Clients">The clients (credential agents revoked, apps deregistered).</param>
/// <param name="Revocations">The revocation list.</param>
internal readonly record struct RevocationServices(
    IOptions<BrokerOptions> Options,
    TimeProvider Time,
    AuditLog Audit,
    BrokerMetrics Metrics,
    IAgentStore Agents,
    IClientStore Clients,
    RevocationList Revocations);

/// <summary>
/// An operator's revocation: the entry in the list and the feed, what it does to the agent or app it
/// names, the metric and the audit event. The request was validated by <see cref="RevocationValidation"/>.
/// </summary>
internal static class RevocationLifecycle
{
    /// <summary>Revokes at <paramref name="level"/> everything <paramref name="target"/> names.</summary>
    public static async Task<RevokeResponse> RevokeAsync(string level, string target, string reason, RevocationServices s, CancellationToken cancellationToken)
    {
        var time = s.Time;
        if (level == RevocationLevel.Agent)
        {
            // The entry ends only tokens issued before it and leaves the feed once they have expired;
            // the status keeps the agent revoked, whichever kind it is, so it gets no new tokens. Set
            // first: an issuer that reads the status after its iat then either sees it or issued
            // before the entry's revoked_at.
            await s.Agents.SetStatusAsync(target, AgentStatuses.Revoked, cancellationToken);
            if (await s.Clients.FindByEntityIdAsync(target, cancellationToken) is { Kind: Credentials.CredentialExchange.AgentKind, Status: not AgentStatuses.Revoked })
            {
                await s.Clients.TransitionAsync(target, [AgentStatuses.Active, AgentStatuses.Suspended], AgentStatuses.Revoked, reason, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
            }
        }

        // Kept until every token it could match has expired: nothing the broker issued lives longer than the ceiling.
        long expires = time.GetUtcNow().AddSeconds(s.Options.Value.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
        var (record, created) = await s.Revocations.RevokeAsync(level, target, reason, expires, cancellationToken);
        if (level == RevocationLevel.App)
        {
            // Revoking an app at this level deregisters it too: it must not mint tokens that are born dead.
            await s.Clients.SetStatusAsync(target, ClientStatuses.Inactive, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        }

        s.Metrics.TokensRevoked.WithLabels(level).Inc();
        await s.Audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenRevoked, AuditOutcomes.Success, $"revoked at level={level} target={target} | seq={record.Sequence} | new={created} | reason={reason}", level is RevocationLevel.Agent or RevocationLevel.Chain ? target : null, level == RevocationLevel.Task ? target : null),
            cancellationToken: cancellationToken);
        return new RevokeResponse(true, level, target, created ? 1 : 0, record.Sequence);
    }
}
