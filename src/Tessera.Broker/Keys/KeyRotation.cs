using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Revocation;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// Rotates the signing key: a new key becomes active, the previous ones stay published until
/// every token they could have signed has expired (the key that replaced them is older than the
/// longest token lifetime), then they are dropped. Every change is stored (the key file, or the
/// database the replicas share) before it is used, and announced on the revocation stream so
/// verifiers refetch the JWKS at once. With a shared database a change is a compare-and-set: a
/// replica that lost to another reloads the winner's ring instead of overwriting it.
/// </summary>
public sealed class KeyRotation(
    SigningKeyRing ring, IOptions<BrokerOptions> options, TimeProvider time, RevocationFeed feed, [FromKeyedServices(KeyRotation.MainRing)] ISigningKeyStorage storage)
{
    /// <summary>The name of the broker's own key ring in shared storage.</summary>
    public const string MainRing = "main";

    /// <summary>The name of the <c>mudraid</c> profile's RS256 ring in shared storage.</summary>
    public const string ProfileRing = "profile";

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
            return RotateLocked();
        }
    }

    /// <summary>Drops keys whose tokens have all expired; true when something was dropped.</summary>
    public bool Prune()
    {
        lock (_gate)
        {
            ReloadLocked();
            if (!PruneLocked())
            {
                return false;
            }

            if (!storage.TrySave(ring.All))
            {
                // Another replica changed the ring meanwhile (and prunes the same way): take its ring.
                ReloadLocked();
            }

            feed.NotifyKeysChanged();
            return true;
        }
    }

    /// <summary>Rotates when scheduled rotation is on and the active key is older than the interval.</summary>
    public bool RotateIfDue()
    {
        int interval = options.Value.KeyRotationInterval;
        if (interval <= 0)
        {
            return false;
        }

        lock (_gate)
        {
            // Replicas run this on the same schedule: the first rotates, the others see its key here.
            ReloadLocked();
            if (ring.Active.CreatedAt.AddSeconds(interval) > time.GetUtcNow())
            {
                return false;
            }

            RotateLocked();
            return true;
        }
    }

    /// <summary>Takes the stored ring when another replica changed it; true when it did.</summary>
    public bool Reload()
    {
        lock (_gate)
        {
            return ReloadLocked();
        }
    }

    private SigningKey RotateLocked()
    {
        while (true)
        {
            // Stored first: a key that signed tokens must never exist only in memory.
            var next = SigningKey.Generate(options.Value.Algorithm, time.GetUtcNow());
            if (!storage.TrySave([next, .. ring.All]))
            {
                ReloadLocked();
                continue;
            }

            ring.Rotate(next);
            if (PruneLocked() && !storage.TrySave(ring.All))
            {
                ReloadLocked();
            }

            feed.NotifyKeysChanged();
            return next;
        }
    }

    private bool ReloadLocked()
    {
        if (storage.ReloadIfChanged() is not { Count: > 0 } keys)
        {
            return false;
        }

        ring.Set(keys[0], keys.Skip(1));
        feed.NotifyKeysChanged();
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
