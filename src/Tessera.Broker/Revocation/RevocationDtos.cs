namespace Tessera.Broker.Revocation;

internal sealed class RevokeRequest
{
    public string? Level { get; set; }

    public string? Target { get; set; }

    public string? Reason { get; set; }
}

internal sealed record RevokeResponse(bool Revoked, string Level, string Target, int Count, long Sequence);

/// <summary>A revocation entry as the feed shows it (written by <see cref="RevocationEndpoints.WriteEntry"/>).</summary>
/// <param name="Seq">The entry's sequence number, the cursor's unit.</param>
/// <param name="Level">token, agent, task, chain or app.</param>
/// <param name="Target">What the level names: a jti, an agent id, a task id, a chain root, an app id.</param>
/// <param name="Reason">Why it was revoked.</param>
/// <param name="RevokedAt">When (RFC 3339).</param>
/// <param name="ExpiresAt">When the entry leaves the feed (RFC 3339).</param>
internal sealed record RevocationEntryView(long Seq, string Level, string Target, string Reason, string RevokedAt, string ExpiresAt);

/// <summary>A page of the revocation feed (written by <see cref="RevocationPage"/>).</summary>
/// <param name="Entries">The entries after the cursor, in sequence order.</param>
/// <param name="NextCursor">The cursor to ask for the next page with (<c>since</c>).</param>
/// <param name="HasMore">Whether more entries follow.</param>
/// <param name="KeysVersion">Changes when the key set changes: refetch the JWKS when it differs.</param>
internal sealed record RevocationPageView(RevocationEntryView[] Entries, string NextCursor, bool HasMore, long KeysVersion);
