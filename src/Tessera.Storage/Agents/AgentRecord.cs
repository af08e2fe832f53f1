namespace Tessera.Storage.Agents;

/// <summary>A registered agent.</summary>
public sealed record AgentRecord
{
    /// <summary>SPIFFE ID.</summary>
    public required string AgentId { get; init; }

    /// <summary>Orchestrator id given at registration.</summary>
    public required string OrchId { get; init; }

    /// <summary>Task id given at registration.</summary>
    public required string TaskId { get; init; }

    /// <summary>The launch token's agent name.</summary>
    public required string AgentName { get; init; }

    /// <summary>Raw 32-byte Ed25519 public key.</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>Hash of the launch token it registered with.</summary>
    public required string LaunchTokenHash { get; init; }

    /// <summary>The scope granted at registration.</summary>
    public required IReadOnlyList<string> Scope { get; init; }

    /// <summary>The audience its tokens carry.</summary>
    public required IReadOnlyList<string> Audience { get; init; }

    /// <summary>The launch policy's max_ttl, which bounds renewals.</summary>
    public required int MaxTtl { get; init; }

    /// <summary>The app whose launch token registered it, or empty.</summary>
    public string AppId { get; init; } = "";

    /// <summary><c>active</c> or <c>revoked</c>.</summary>
    public string Status { get; init; } = "active";

    /// <summary>Registration time, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }
}
