namespace Tessera.Broker.Audit;

/// <summary>A page of audit events at <c>GET /v1/audit/events</c> (written by hand, described by this type).</summary>
/// <param name="Events">The matching events, oldest first.</param>
/// <param name="Total">How many events match in all.</param>
/// <param name="Offset">The offset of this page.</param>
/// <param name="Limit">The page size.</param>
internal sealed record AuditEventPage(AuditEventDocument[] Events, long Total, int Offset, int Limit);

/// <summary>One audit event as the API and the export write it; empty optional members are left out.</summary>
/// <param name="Seq">Its place in the chain.</param>
/// <param name="Id">Event id.</param>
/// <param name="Timestamp">When it happened (RFC 3339).</param>
/// <param name="EventType">What happened.</param>
/// <param name="AgentId">The agent concerned.</param>
/// <param name="TaskId">The task concerned.</param>
/// <param name="OrchId">The orchestrator concerned.</param>
/// <param name="Detail">The stored detail text, as hashed.</param>
/// <param name="Resource">The resource concerned.</param>
/// <param name="Outcome"><c>success</c>, <c>denied</c>, ...</param>
/// <param name="DelegDepth">Delegation depth, when not 0.</param>
/// <param name="DelegChainHash">Hash of the delegation chain.</param>
/// <param name="Hash">This event's chain hash.</param>
/// <param name="PrevHash">The previous event's chain hash.</param>
/// <param name="DetailMessage">The events API only: the detail's message.</param>
/// <param name="DetailFields">The events API only: the detail's named fields, values unescaped.</param>
internal sealed record AuditEventDocument(
    long Seq,
    string Id,
    string Timestamp,
    string EventType,
    string? AgentId,
    string? TaskId,
    string? OrchId,
    string Detail,
    string? Resource,
    string? Outcome,
    int? DelegDepth,
    string? DelegChainHash,
    string Hash,
    string PrevHash,
    string? DetailMessage,
    Dictionary<string, string>? DetailFields);
