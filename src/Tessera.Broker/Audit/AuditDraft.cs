using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary>Shorthand for building audit drafts at the edges.</summary>
internal static class AuditDraft
{
    /// <summary>A draft whose detail is an interpolated string: every interpolated value is escaped (<see cref="AuditText"/>).</summary>
    public static AuditEventDraft Of(
        TimeProvider time, string type, string outcome, AuditText detail,
        string? agentId = null, string? taskId = null, string? orchId = null, string? resource = null) =>
        Build(time, type, outcome, detail.ToString(), agentId, taskId, orchId, resource);

    /// <summary>A draft whose detail is broker-composed text (its control characters are escaped, its separators kept).</summary>
    public static AuditEventDraft Of(
        TimeProvider time, string type, string outcome, string detail,
        string? agentId = null, string? taskId = null, string? orchId = null, string? resource = null) =>
        Build(time, type, outcome, AuditEscape.Text(detail), agentId, taskId, orchId, resource);

    /// <summary>The detail text of an interpolated string, escaped and bounded, for drafts built by hand.</summary>
    public static string Detail(AuditText detail) => AuditEscape.Bound(detail.ToString());

    private static AuditEventDraft Build(
        TimeProvider time, string type, string outcome, string detail, string? agentId, string? taskId, string? orchId, string? resource) => new()
    {
        TimestampMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        EventType = type,
        Outcome = outcome,
        Detail = AuditEscape.Bound(detail),
        AgentId = agentId ?? "",
        TaskId = taskId ?? "",
        OrchId = orchId ?? "",
        Resource = resource ?? "",
    };
}
