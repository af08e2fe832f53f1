namespace Tessera.Storage.Agents;

/// <summary>Filters and paging of <see cref="IAgentInventory.ListAsync"/>; null leaves a filter off.</summary>
public sealed record AgentInventoryQuery
{
    /// <summary><see cref="AgentInventoryKinds.Registered"/> or <see cref="AgentInventoryKinds.Credential"/>.</summary>
    public string? Kind { get; init; }

    /// <summary>Exact status.</summary>
    public string? Status { get; init; }

    /// <summary>Exact app id.</summary>
    public string? AppId { get; init; }

    /// <summary>Exact orchestrator id.</summary>
    public string? OrchId { get; init; }

    /// <summary>Exact task id.</summary>
    public string? TaskId { get; init; }

    /// <summary>Case-insensitive substring of the name, the agent id or the key id.</summary>
    public string? Search { get; init; }

    /// <summary>Start after this agent.</summary>
    public AgentInventoryPosition? After { get; init; }

    /// <summary>Page size, at least 1.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>
    /// The search as a LIKE pattern with <c>\</c> as escape character: lowercased, its
    /// wildcards escaped, wrapped in <c>%</c>.
    /// </summary>
    public string? SearchPattern => Search is null ? null
        : "%" + Search.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
