namespace Tessera.Storage.Audit;

/// <summary>An audit event before the store gives it a place and a hash in the chain.</summary>
public sealed record AuditEventDraft
{
    /// <summary>When it happened, Unix ms.</summary>
    public required long TimestampMs { get; init; }

    /// <summary>The event type.</summary>
    public required string EventType { get; init; }

    /// <summary>Agent concerned.</summary>
    public string AgentId { get; init; } = "";

    /// <summary>Task concerned.</summary>
    public string TaskId { get; init; } = "";

    /// <summary>Orchestrator concerned.</summary>
    public string OrchId { get; init; } = "";

    /// <summary>Free text; never a secret.</summary>
    public string Detail { get; init; } = "";

    /// <summary>Resource concerned.</summary>
    public string Resource { get; init; } = "";

    /// <summary><c>success</c>, <c>denied</c> or <c>failure</c>.</summary>
    public string Outcome { get; init; } = "";

    /// <summary>Delegation depth.</summary>
    public int DelegDepth { get; init; }

    /// <summary>Delegation chain hash.</summary>
    public string DelegChainHash { get; init; } = "";
}
