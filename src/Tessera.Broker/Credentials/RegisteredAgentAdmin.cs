using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Http;
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
    public static async Task<AgentRecord?> FindAsync(HttpContext context)
    {
        string id = context.Request.RouteValues["id"] as string ?? "";
        if (id.Length > 2048 || id.StartsWith("tsr_kid_", StringComparison.Ordinal))
        {
            return null;
        }

        return await context.RequestServices.GetRequiredService<IAgentStore>().FindAsync(Uri.UnescapeDataString(id), context.RequestAborted);
    }

    public static Task WriteViewAsync(HttpContext context, AgentRecord a) =>
        Results.Json(
            new RegisteredAgentView(
                AgentInventoryKinds.Registered, a.AgentId, null, a.AgentName, a.Status,
                a.AppId.Length == 0 ? null : a.AppId, a.OrchId, a.TaskId, [.. a.Scope], [.. a.Audience], a.MaxTtl,
                AppAdminEndpoints.Rfc3339(a.CreatedAtMs), null),
            BrokerJson.Default.RegisteredAgentView).ExecuteAsync(context);

    /// <summary>
    /// The status change of <see cref="AgentAdminEndpoints"/> for a registered agent: idempotent
    /// when already there, a conflict when it cannot get there (revocation is permanent).
    /// </summary>
    public static async Task TransitionAsync(HttpContext context, AgentRecord agent, string[] from, string to, string auditType, string reason)
    {
        var s = AdminRequest.For(context);
        if (agent.Status != to)
        {
            // Read, check, then write: the store has no compare-and-set for registered agents yet;
            // a revocation racing an unsuspend still leaves the feed entry, which ends every token.
            if (!from.Contains(agent.Status, StringComparer.Ordinal)
                || !await context.RequestServices.GetRequiredService<IAgentStore>().SetStatusAsync(agent.AgentId, to, context.RequestAborted))
            {
                await new ProblemResult(ErrorCatalog.Conflict, $"agent is {agent.Status} and cannot become {to}", agent.Status == "revoked" ? "revocation is permanent; register a new agent" : null).ExecuteAsync(context);
                return;
            }

            if (to is "revoked" or "suspended")
            {
                long expires = s.Time.GetUtcNow().AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
                await context.RequestServices.GetRequiredService<RevocationList>().RevokeAsync(
                    RevocationLevel.Agent, agent.AgentId, to == "suspended" ? "suspended: " + reason : reason, expires, context.RequestAborted);
            }

            await s.Audit.RecordAsync(
                AuditDraft.Of(s.Time, auditType, "success", $"agent {to} | kind=registered | reason={reason.Replace('|', '/')}", agent.AgentId, agent.TaskId, agent.OrchId),
                cancellationToken: context.RequestAborted);
        }

        await WriteViewAsync(context, (await context.RequestServices.GetRequiredService<IAgentStore>().FindAsync(agent.AgentId, context.RequestAborted))!);
    }
}
