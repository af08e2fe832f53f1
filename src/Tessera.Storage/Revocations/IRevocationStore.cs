namespace Tessera.Storage.Revocations;

/// <summary>Persisted revocations; the broker keeps the live set in memory and reloads it from here.</summary>
public interface IRevocationStore
{
    /// <summary>
    /// Adds a revocation; one entry per (level, target). A repeat that moves the revocation time or the
    /// expiry forward keeps the later of each (see <see cref="RevocationRecord.MergeRepeat"/>) under a
    /// new sequence number, so feed readers past the old one receive the update; a repeat that moves
    /// neither changes nothing. Returns the stored entry.
    /// </summary>
    Task<RevocationRecord> AddAsync(RevocationRecord record, CancellationToken cancellationToken);

    /// <summary>Adds a revocation only if none exists for (level, target); false when one already did. The single-winner primitive for renew.</summary>
    Task<bool> TryAddNewAsync(RevocationRecord record, CancellationToken cancellationToken);

    /// <summary>Entries after <paramref name="afterSequence"/> that have not expired at <paramref name="nowMs"/>, in order.</summary>
    Task<IReadOnlyList<RevocationRecord>> ListAsync(long afterSequence, long nowMs, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes entries that can no longer match a valid token; returns how many.</summary>
    Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken);
}
