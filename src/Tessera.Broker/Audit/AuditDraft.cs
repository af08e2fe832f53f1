using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary>Shorthand for building audit drafts at the edges.</summary>
internal static class AuditDraft
{
    public static AuditEventDraft Of(
        TimeProvider time, string type, string outcome, string detail,
        string? agentId = null, string? taskId = null, string? orchId = null, string? resource = null) => new()
    {
        TimestampMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        EventType = type,
        Outcome = outcome,
        Detail = detail,
        AgentId = agentId ?? "",
        TaskId = taskId ?? "",
        OrchId = orchId ?? "",
        Resource = resource ?? "",
    };
}
