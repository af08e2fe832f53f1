namespace Tessera.Storage.Audit;

/// <summary>Filters of the audit API; null means "any". Times are Unix ms, inclusive.</summary>
public sealed record AuditQuery
{
    /// <summary>Exact agent id.</summary>
    public string? AgentId { get; init; }

    /// <summary>Exact task id.</summary>
    public string? TaskId { get; init; }

    /// <summary>Exact event type.</summary>
    public string? EventType { get; init; }

    /// <summary>Exact outcome.</summary>
    public string? Outcome { get; init; }

    /// <summary>Events at or after this instant.</summary>
    public long? SinceMs { get; init; }

    /// <summary>Events at or before this instant.</summary>
    public long? UntilMs { get; init; }

    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Events to skip.</summary>
    public int Offset { get; init; }
}
