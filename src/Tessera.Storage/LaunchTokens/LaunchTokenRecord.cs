namespace Tessera.Storage.LaunchTokens;

/// <summary>A launch token's policy as stored (keyed by the SHA-256 of the token, never the token).</summary>
public sealed record LaunchTokenRecord
{
    /// <summary>Lowercase hex SHA-256 of the token value.</summary>
    public required string TokenHash { get; init; }

    /// <summary>The name the operator gave the agent.</summary>
    public required string AgentName { get; init; }

    /// <summary>The scope ceiling.</summary>
    public required IReadOnlyList<string> AllowedScope { get; init; }

    /// <summary>Audiences a token may be issued for; empty means any.</summary>
    public required IReadOnlyList<string> AllowedAudience { get; init; }

    /// <summary>Longest lifetime, in seconds, of a token issued under this launch token.</summary>
    public required int MaxTtl { get; init; }

    /// <summary>Whether the launch token is consumed by its first successful registration.</summary>
    public required bool SingleUse { get; init; }

    /// <summary>Who created it (admin subject).</summary>
    public required string CreatedBy { get; init; }

    /// <summary>Creation time, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>Expiry, Unix ms.</summary>
    public required long ExpiresAtMs { get; init; }

    /// <summary>The app that created it, or empty when an admin did.</summary>
    public string AppId { get; init; } = "";

    /// <summary>How many registrations used it.</summary>
    public int UseCount { get; init; }
}
