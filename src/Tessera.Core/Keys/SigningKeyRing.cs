using System.Collections.Immutable;

namespace Tessera.Keys;

/// <summary>
/// The broker's keys: one active signing key plus the previous ones still published so that
/// tokens they signed keep verifying until they expire. Swapped atomically as a whole.
/// </summary>
public sealed class SigningKeyRing : IVerificationKeySource
{
    private volatile Snapshot _snapshot;

    /// <summary>Creates a ring whose active key is <paramref name="active"/>.</summary>
    public SigningKeyRing(SigningKey active, IEnumerable<SigningKey>? previous = null)
    {
        ArgumentNullException.ThrowIfNull(active);
        _snapshot = new Snapshot(active, [.. previous ?? []]);
    }

    /// <summary>The key new tokens are signed with.</summary>
    public SigningKey Active => _snapshot.Active;

    /// <summary>Every key whose public half is published, active first.</summary>
    public IReadOnlyList<SigningKey> All => _snapshot.All;

    /// <inheritdoc />
    public bool TryGetKey(string keyId, out VerificationKey? key)
    {
        foreach (var k in _snapshot.All)
        {
            if (string.Equals(k.KeyId, keyId, StringComparison.Ordinal))
            {
                key = k.PublicKey;
                return true;
            }
        }

        key = null;
        return false;
    }

    /// <summary>Makes <paramref name="next"/> the active key; the previous active key stays published.</summary>
    public void Rotate(SigningKey next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var current = _snapshot;
        _snapshot = new Snapshot(next, current.All);
    }

    /// <summary>Replaces the whole ring at once (used when retired keys are dropped).</summary>
    public void Set(SigningKey active, IEnumerable<SigningKey> previous)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(previous);
        _snapshot = new Snapshot(active, [.. previous]);
    }

    private sealed class Snapshot
    {
        public Snapshot(SigningKey active, ImmutableArray<SigningKey> previous)
        {
            Active = active;
            var builder = ImmutableArray.CreateBuilder<SigningKey>(previous.Length + 1);
            builder.Add(active);
            foreach (var key in previous)
            {
                if (!ReferenceEquals(key, active))
                {
                    builder.Add(key);
                }
            }

            All = builder.ToImmutable();
        }

        public SigningKey Active { get; }

        public ImmutableArray<SigningKey> All { get; }
    }
}
