namespace Tessera.Storage.Keys;

/// <summary>
/// Signing key rings shared by broker replicas, by name, as opaque sealed bytes: the store never
/// sees a key in the clear (the broker seals them under its key-encryption key). Versioned, so
/// a change is a compare-and-set and two replicas rotating at once cannot both win.
/// </summary>
public interface IKeyRingStore
{
    /// <summary>The stored ring, or null when there is none yet.</summary>
    Task<StoredKeyRing?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="sealedRing"/> as the next version, only if the stored version is still
    /// <paramref name="expectedVersion"/> (0: no ring stored yet); false when another writer got there first.
    /// </summary>
    Task<bool> TryReplaceAsync(string name, long expectedVersion, byte[] sealedRing, long nowMs, CancellationToken cancellationToken);
}
