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

    /// <summary>
    /// What this stored entry becomes when its (level, target) is revoked again by <paramref name="repeat"/>:
    /// the later <see cref="RevokedAtMs"/> (with that revocation's reason) and the later <see cref="ExpiresAtMs"/>,
    /// or null when the repeat moves neither forward. A changed entry needs a new <see cref="Sequence"/>, so
    /// that feed readers already past the old one receive it.
    /// </summary>
    public RevocationRecord? MergeRepeat(RevocationRecord repeat)
    {
        ArgumentNullException.ThrowIfNull(repeat);
        if (repeat.RevokedAtMs <= RevokedAtMs && repeat.ExpiresAtMs <= ExpiresAtMs)
        {
            return null;
        }

        bool later = repeat.RevokedAtMs > RevokedAtMs;
        return this with
        {
            Sequence = 0,
            Reason = later ? repeat.Reason : Reason,
            RevokedAtMs = later ? repeat.RevokedAtMs : RevokedAtMs,
            ExpiresAtMs = Math.Max(ExpiresAtMs, repeat.ExpiresAtMs),
        };
    }
}
