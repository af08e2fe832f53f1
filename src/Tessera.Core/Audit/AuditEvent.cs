namespace Tessera.Audit;

/// <summary>
/// One event of the hash-chained audit log as stored. <see cref="Hash"/> is SHA-256 over the
/// canonical encoding of every other field, including <see cref="PrevHash"/>.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>Position in the chain, starting at 1.</summary>
    public required long Sequence { get; init; }

    /// <summary>Event id, <c>evt-</c> followed by the zero-padded sequence.</summary>
    public required string Id { get; init; }

    /// <summary>When the event was recorded, Unix milliseconds.</summary>
    public required long TimestampMs { get; init; }

    /// <summary>The event type, for example <c>agent_registered</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>The agent concerned, if any.</summary>
    public string AgentId { get; init; } = "";

    /// <summary>The task concerned, if any.</summary>
    public string TaskId { get; init; } = "";

    /// <summary>The orchestrator concerned, if any.</summary>
    public string OrchId { get; init; } = "";

    /// <summary>Free text; never a secret or a token.</summary>
    public string Detail { get; init; } = "";

    /// <summary>The resource concerned, if any.</summary>
    public string Resource { get; init; } = "";

    /// <summary><c>success</c>, <c>denied</c> or <c>failure</c>.</summary>
    public string Outcome { get; init; } = "";

    /// <summary>Delegation depth, 0 when not delegated.</summary>
    public int DelegDepth { get; init; }

    /// <summary>Hash of the delegation chain, if any.</summary>
    public string DelegChainHash { get; init; } = "";

    /// <summary>The previous event's hash (64 zeros for the first).</summary>
    public required string PrevHash { get; init; }

    /// <summary>This event's hash, lowercase hex.</summary>
    public required string Hash { get; init; }
}
