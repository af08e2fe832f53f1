using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// Where one key ring lives: its key file (one broker), or the database several replicas share.
/// Saving is a compare-and-set against what this process last loaded or saved, so two replicas
/// changing the ring at once cannot both win; the loser reloads and starts again from the winner's.
/// </summary>
public interface ISigningKeyStorage
{
    /// <summary>True when a ring is stored (or can be imported).</summary>
    bool Exists { get; }

    /// <summary>Loads the ring, first storing a new key of <paramref name="algorithm"/> when there is none or its active key uses another algorithm.</summary>
    SigningKeyRing LoadOrCreate(SigningAlgorithm algorithm);

    /// <summary>Stores <paramref name="keys"/> (active first) unless another process changed the ring since this one last loaded or saved it; false then.</summary>
    bool TrySave(IReadOnlyList<SigningKey> keys);

    /// <summary>The stored keys when another process changed them since this one last loaded or saved; null when unchanged.</summary>
    IReadOnlyList<SigningKey>? ReloadIfChanged();

    /// <summary>
    /// The version of the ring as stored where every replica reads it (it only grows), or null
    /// when the ring lives in this process's own key file. Feeds the revocation feed's
    /// <c>keys_version</c>, so replicas behind one load balancer announce the same value.
    /// </summary>
    long? SharedVersion { get; }
}
