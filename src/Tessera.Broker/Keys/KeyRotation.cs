using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Revocation;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// Rotates the signing keys: a new key becomes active, the previous ones stay published until
/// every token they could have signed has expired (the key that replaced them is older than the
/// longest token lifetime), then they are dropped. Every change is stored (the key file, or the
/// database the replicas share) before it is used, and announced on the revocation stream so
/// verifiers refetch the JWKS at once. With a shared database a change is a compare-and-set: a
/// replica that lost to another reloads the winner's ring instead of overwriting it. The
/// <c>mudraid</c> profile's RS256 ring, when it exists apart from the default ring, is rotated,
/// pruned and reloaded with it under the same rules.
/// </summary>
public sealed class KeyRotation
{
    /// <summary>The name of the broker's own key ring in shared storage.</summary>
    public const string MainRing = "main";

    /// <summary>The name of the <c>mudraid</c> profile's RS256 ring in shared storage.</summary>
    public const string ProfileRing = "profile";

    private readonly Lock _gate = new();
    private readonly IOptions<BrokerOptions> _options;
    private readonly TimeProvider _time;
    private readonly RevocationFeed _feed;
    private readonly ProfileKeys _profile;
    private readonly ISigningKeyStorage _profileStorage;
    private readonly Ring _main;
    private Ring? _profileRing;

    /// <summary>Creates the rotation over the default ring and, when there is one, the profile ring.</summary>
    public KeyRotation(
        SigningKeyRing ring,
        IOptions<BrokerOptions> options,
        TimeProvider time,
        RevocationFeed feed,
        [FromKeyedServices(MainRing)] ISigningKeyStorage storage,
        ProfileKeys profile,
        [FromKeyedServices(ProfileRing)] ISigningKeyStorage profileStorage)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _feed = feed;
        _profile = profile;
        _profileStorage = profileStorage;
        _main = new Ring(ring, options.Value.Algorithm, storage);
        if (storage.SharedVersion is not null)
        {
            // Each stored version only grows, so their sum does too, and every replica computes the same.
            feed.UseSharedKeysVersion(() => storage.SharedVersion + (profileStorage.SharedVersion ?? 0));
        }
    }

    /// <summary>When the key at <paramref name="index"/> of <see cref="SigningKeyRing.All"/> stops being published (null for the active key).</summary>
    public DateTimeOffset? RetiresAt(int index) => RetiresAt(_main.Keys, index);

    /// <summary>When the key at <paramref name="index"/> of the profile ring stops being published (null for its active key).</summary>
    public DateTimeOffset? ProfileRetiresAt(int index) => _profile.Separate is { } ring ? RetiresAt(ring, index) : null;

    /// <summary>Creates and activates a new key in every ring (the profile ring too, when separate); returns the default ring's.</summary>
    public SigningKey Rotate()
    {
        var (main, _, failure) = RotateAll();
        if (failure is not null)
        {
            throw new InvalidOperationException("the default signing key rotated, the profile key did not", failure);
        }

        return main;
    }

    /// <summary>
    /// Creates and activates a new key in every ring; returns the default ring's and, when
    /// separate, the profile ring's. When the default ring rotated but the profile ring could not
    /// be (its store failing), <c>ProfileFailure</c> says why, so the caller can record the half
    /// that happened before it reports the failure.
    /// </summary>
    public (SigningKey Main, SigningKey? Profile, Exception? ProfileFailure) RotateAll()
    {
        lock (_gate)
        {
            var main = RotateLocked(_main, dueInterval: null)!;
            try
            {
                var profile = ProfileLocked() is { } ring ? RotateLocked(ring, dueInterval: null) : null;
                return (main, profile, null);
            }
#pragma warning disable CA1031 // Handed to the caller, which audits the default ring's rotation and then fails the request.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return (main, null, ex);
            }
        }
    }

    /// <summary>Drops keys whose tokens have all expired; true when something was dropped.</summary>
    public bool Prune()
    {
        lock (_gate)
        {
            bool pruned = PruneStored(_main);
            if (ProfileLocked() is { } ring)
            {
                pruned |= PruneStored(ring);
            }

            return pruned;
        }
    }

    /// <summary>Rotates each ring whose active key is older than the interval, when scheduled rotation is on.</summary>
    public bool RotateIfDue()
    {
        int interval = _options.Value.KeyRotationInterval;
        if (interval <= 0)
        {
            return false;
        }

        lock (_gate)
        {
            bool rotated = RotateIfDueLocked(_main, interval);
            if (ProfileLocked() is { } ring)
            {
                rotated |= RotateIfDueLocked(ring, interval);
            }

            return rotated;
        }
    }

    /// <summary>Takes the stored rings when another replica changed them (or created the profile ring); true when one changed.</summary>
    public bool Reload()
    {
        lock (_gate)
        {
            bool hadProfile = _profile.Separate is not null;
            bool changed = ReloadLocked(_main);
            if (ProfileLocked() is { } ring)
            {
                changed |= ReloadLocked(ring) | !hadProfile;
            }

            return changed;
        }
    }

    /// <summary>Says a ring was created outside a rotation (the profile ring, on first use), so verifiers refetch the JWKS.</summary>
    public void AnnounceNewRing() => _feed.NotifyKeysChanged();

    private DateTimeOffset? RetiresAt(SigningKeyRing ring, int index)
    {
        var all = ring.All;
        return index <= 0 || index >= all.Count ? null : all[index - 1].CreatedAt.AddSeconds(_options.Value.LongestTokenLifetimeSeconds);
    }

    // The profile ring, once it exists apart from the default ring (created on first use or loaded from a replica).
    private Ring? ProfileLocked()
    {
        if (_profile.LoadIfStored())
        {
            // Another replica created it: this replica's verifiers hear of the new key as of a rotation.
            _feed.NotifyKeysChanged();
        }

        if (_profile.Separate is not { } ring)
        {
            return null;
        }

        return _profileRing ??= new Ring(ring, SigningAlgorithm.RS256, _profileStorage);
    }

    private bool RotateIfDueLocked(Ring ring, int interval)
    {
        // Replicas run this on the same schedule: the first rotates, the others see its key here.
        ReloadLocked(ring);
        return RotateLocked(ring, interval) is not null;
    }

    private bool IsDue(Ring ring, int interval) => ring.Keys.Active.CreatedAt.AddSeconds(interval) <= _time.GetUtcNow();

    // With a due interval, rotates only while the active key is that old, checked again after
    // losing a race to another replica (which then did this rotation); null when not rotated.
    private SigningKey? RotateLocked(Ring ring, int? dueInterval)
    {
        while (true)
        {
            if (dueInterval is { } interval && !IsDue(ring, interval))
            {
                return null;
            }

            // Stored first: a key that signed tokens must never exist only in memory.
            var next = SigningKey.Generate(ring.Algorithm, _time.GetUtcNow());
            if (!ring.Storage.TrySave([next, .. ring.Keys.All]))
            {
                ReloadLocked(ring);
                continue;
            }

            ring.Keys.Rotate(next);
            if (PruneLocked(ring) && !ring.Storage.TrySave(ring.Keys.All))
            {
                ReloadLocked(ring);
            }

            _feed.NotifyKeysChanged();
            return next;
        }
    }

    private bool PruneStored(Ring ring)
    {
        ReloadLocked(ring);
        if (!PruneLocked(ring))
        {
            return false;
        }

        if (!ring.Storage.TrySave(ring.Keys.All))
        {
            // Another replica changed the ring meanwhile (and prunes the same way): take its ring.
            ReloadLocked(ring);
        }

        _feed.NotifyKeysChanged();
        return true;
    }

    private bool ReloadLocked(Ring ring)
    {
        if (ring.Storage.ReloadIfChanged() is not { Count: > 0 } keys)
        {
            return false;
        }

        ring.Keys.Set(keys[0], keys.Skip(1));
        _feed.NotifyKeysChanged();
        return true;
    }

    private bool PruneLocked(Ring ring)
    {
        var all = ring.Keys.All;
        var now = _time.GetUtcNow();
        var keep = new List<SigningKey>();
        for (int i = 1; i < all.Count; i++)
        {
            if (all[i - 1].CreatedAt.AddSeconds(_options.Value.LongestTokenLifetimeSeconds) > now)
            {
                keep.Add(all[i]);
            }
        }

        if (keep.Count == all.Count - 1)
        {
            return false;
        }

        ring.Keys.Set(all[0], keep);
        return true;
    }

    private sealed record Ring(SigningKeyRing Keys, SigningAlgorithm Algorithm, ISigningKeyStorage Storage);
}
