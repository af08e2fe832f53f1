namespace Tessera.Storage.Revocations;

/// <summary>One revocation entry, ordered by <see cref="Sequence"/> (the feed cursor).</summary>
public sealed record RevocationRecord
{
    /// <summary>Feed position; 0 before it is stored.</summary>
    public long Sequence { get; init; }

    /// <summary>One of <see cref="RevocationLevel"/>.</summary>
    public required string Level { get; init; }

    /// <summary>A jti, agent id, task id or chain root agent id.</summary>
    public required string Target { get; init; }

    /// <summary>Why (for example <c>released</c>).</summary>
    public required string Reason { get; init; }

    /// <summary>When, Unix ms.</summary>
    public required long RevokedAtMs { get; init; }

    /// <summary>After this instant no token it could match is still valid; the entry may be purged.</summary>
    public required long ExpiresAtMs { get; init; }
}
