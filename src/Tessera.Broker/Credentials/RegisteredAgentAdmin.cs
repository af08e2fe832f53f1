using Tessera.Identity;
using Tessera.Audit;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Storage.Agents;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The admin agent endpoints for agents registered with a launch token: show, suspend,
/// unsuspend and revoke, by the percent-encoded agent id. Suspension and revocation both put an
/// <c>agent</c> entry on the revocation feed, so the agent's outstanding tokens (and the tokens
/// delegated from them) stop at once; the status then refuses renewal.
/// </summary>
internal static class RegisteredAgentAdmin
{
    /// <summary>The registered agent named by the route's <c>{id}</c>, or null (a key id never names one).</summary>
    public static async Task<AgentRecord?> FindAsync(IAgentStore agents, string id, CancellationToken cancellationToken)
    {
        if (id.Length > 2048 || id.StartsWith("tsr_kid_", StringComparison.Ordinal))
        {
            return null;
        }

        return await agents.FindAsync(Uri.UnescapeDataString(id), cancellationToken);
    }

    /// <summary>
    /// The status change of <see cref="AgentLifecycle.TransitionAsync"/> for a registered agent:
    /// idempotent when already there, a conflict when it cannot get there (revocation is permanent).
    /// The agent as stored afterwards.
    /// </summary>
    public static async Task<(AgentRecord? Agent, Failure? Failure)> TransitionAsync(
        AdminRequest s, IAgentStore agents, RevocationList revocations, AgentRecord agent, AgentTransition transition, string reason, CancellationToken cancellationToken)
    {
        string to = transition.To;
        if (agent.Status != to)
        {
            // One compare-and-set: of two racing changes (a revocation and an unsuspend, two suspends)
            // exactly one finds the status it starts from; the other reads the status that won.
            if (!transition.From.Contains(agent.Status, StringComparer.Ordinal)
                || !await agents.TransitionAsync(agent.AgentId, transition.From, to, cancellationToken))
            {
                var now = await agents.FindAsync(agent.AgentId, cancellationToken) ?? agent;
                if (now.Status == to)
                {
                    // Another request made the same change first: the answer is the same, its audit event already written.
                    return (now, null);
                }

                return (null, new Failure(ErrorCatalog.Conflict, $"agent is {now.Status} and cannot become {to}", now.Status == AgentStatuses.Revoked ? "revocation is permanent; register a new agent" : null));
            }

            if (to is AgentStatuses.Revoked or AgentStatuses.Suspended)
            {
                long expires = s.Time.GetUtcNow().AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
                await revocations.RevokeAsync(
                    RevocationLevel.Agent, agent.AgentId, to == AgentStatuses.Suspended ? "suspended: " + reason : reason, expires, cancellationToken);
            }

            await s.Audit.RecordAsync(
                AuditDraft.Of(s.Time, transition.AuditType, AuditOutcomes.Success, $"agent {to} | kind=registered | reason={reason.Replace('|', '/')}", agent.AgentId, agent.TaskId, agent.OrchId),
                cancellationToken: cancellationToken);
        }

        return ((await agents.FindAsync(agent.AgentId, cancellationToken))!, null);
    }
}
