using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Revocation;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// Rotates the signing key: a new key becomes active, the previous ones stay published until
/// every token they could have signed has expired (the key that replaced them is older than the
/// longest token lifetime), then they are dropped. Every change is written to the key file and
/// announced on the revocation stream so verifiers refetch the JWKS at once.
/// </summary>
public sealed class KeyRotation(SigningKeyRing ring, IOptions<BrokerOptions> options, TimeProvider time, RevocationFeed feed)
{
    private readonly Lock _gate = new();

    /// <summary>When the key at <paramref name="index"/> of <see cref="SigningKeyRing.All"/> stops being published (null for the active key).</summary>
    public DateTimeOffset? RetiresAt(int index)
    {
        var all = ring.All;
        return index <= 0 || index >= all.Count ? null : all[index - 1].CreatedAt.AddSeconds(options.Value.LongestTokenLifetimeSeconds);
    }

    /// <summary>Creates and activates a new key; returns it.</summary>
    public SigningKey Rotate()
    {
        lock (_gate)
        {
            // Written to disk first: a key that signed tokens must never exist only in memory.
            var next = SigningKey.Generate(options.Value.Algorithm, time.GetUtcNow());
            var previous = ring.All;
            SigningKeyFile.Write(options.Value.SigningKeyPath, [next, .. previous]);
            ring.Rotate(next);
            if (PruneLocked())
            {
                SigningKeyFile.Write(options.Value.SigningKeyPath, ring.All);
            }

            feed.NotifyKeysChanged();
            return next;
        }
    }

    /// <summary>Drops keys whose tokens have all expired; true when something was dropped.</summary>
    public bool Prune()
    {
        lock (_gate)
        {
            if (!PruneLocked())
            {
                return false;
            }

            SigningKeyFile.Write(options.Value.SigningKeyPath, ring.All);
            feed.NotifyKeysChanged();
            return true;
        }
    }

    /// <summary>Rotates when scheduled rotation is on and the active key is older than the interval.</summary>
    public bool RotateIfDue()
    {
        int interval = options.Value.KeyRotationInterval;
        if (interval <= 0 || ring.Active.CreatedAt.AddSeconds(interval) > time.GetUtcNow())
        {
            return false;
        }

        Rotate();
        return true;
    }

    private bool PruneLocked()
    {
        var all = ring.All;
        var now = time.GetUtcNow();
        var keep = new List<SigningKey>();
        for (int i = 1; i < all.Count; i++)
        {
            if (all[i - 1].CreatedAt.AddSeconds(options.Value.LongestTokenLifetimeSeconds) > now)
            {
                keep.Add(all[i]);
            }
        }

        if (keep.Count == all.Count - 1)
        {
            return false;
        }

        ring.Set(all[0], keep);
        return true;
    }
}
