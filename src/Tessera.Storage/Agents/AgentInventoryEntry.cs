using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.Agents;

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

    /// <summary>When a token was last issued to the agent, Unix ms; null if never since tracking began. Recorded in batches, so it may trail by up to half a minute.</summary>
    public long? LastSeenAtMs { get; init; }

    /// <summary>
    /// For a credential agent, its client record without secret hashes (they are not read), else null.
    /// </summary>
    public ClientRecord? Credential { get; init; }

    /// <summary>A credential agent's grants, by platform id.</summary>
    public IReadOnlyList<GrantRecord> Grants { get; init; } = [];

    /// <summary>This agent's place in the order.</summary>
    public AgentInventoryPosition Position => new(CreatedAtMs, AgentId);
}
