using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.Agents;

/// <summary>
/// Every agent whichever way it came in: registered with a launch token (<see cref="AgentRecord"/>)
/// or holding standing credentials (<see cref="ClientRecord"/> of kind <c>agent</c>), listed
/// one page per query.
/// </summary>
public interface IAgentInventory
{
    /// <summary>
    /// One page of agents matching <paramref name="query"/>, ordered by creation time then agent id,
    /// in a single statement (the page, the total and the credential agents' grants).
    /// </summary>
    Task<AgentInventoryPage> ListAsync(AgentInventoryQuery query, CancellationToken cancellationToken);
}

/// <summary>The two ways an agent authenticates.</summary>
public static class AgentInventoryKinds
{
    /// <summary>Registered with a launch token (by an orchestrator or an app); holds an Ed25519 key.</summary>
    public const string Registered = "registered";

    /// <summary>Holds standing credentials (a key id with a secret and/or registered public keys).</summary>
    public const string Credential = "credential";
}

/// <summary>A position in the inventory's order: the last agent of the previous page.</summary>
/// <param name="CreatedAtMs">Its creation time, Unix ms.</param>
/// <param name="AgentId">Its agent id.</param>
public readonly record struct AgentInventoryPosition(long CreatedAtMs, string AgentId);

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

/// <summary>One agent of the inventory.</summary>
public sealed record AgentInventoryEntry
{
    /// <summary><see cref="AgentInventoryKinds.Registered"/> or <see cref="AgentInventoryKinds.Credential"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>SPIFFE id.</summary>
    public required string AgentId { get; init; }

    /// <summary>Name (a registered agent's launch-token agent name).</summary>
    public required string Name { get; init; }

    /// <summary><c>active</c>, <c>suspended</c> or <c>revoked</c>.</summary>
    public required string Status { get; init; }

    /// <summary>App whose launch token registered it, or empty.</summary>
    public string AppId { get; init; } = "";

    /// <summary>Orchestrator id, or empty.</summary>
    public string OrchId { get; init; } = "";

    /// <summary>Task id, or empty.</summary>
    public string TaskId { get; init; } = "";

    /// <summary>Created, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>
    /// For a credential agent, its client record without secret hashes (they are not read), else null.
    /// </summary>
    public ClientRecord? Credential { get; init; }

    /// <summary>A credential agent's grants, by platform id.</summary>
    public IReadOnlyList<GrantRecord> Grants { get; init; } = [];

    /// <summary>This agent's place in the order.</summary>
    public AgentInventoryPosition Position => new(CreatedAtMs, AgentId);
}

/// <summary>A page of the inventory.</summary>
/// <param name="Agents">The agents, in order.</param>
/// <param name="Total">How many agents match the filters, over every page.</param>
/// <param name="Next">Where the next page starts, or null on the last page.</param>
public sealed record AgentInventoryPage(IReadOnlyList<AgentInventoryEntry> Agents, long Total, AgentInventoryPosition? Next);
