using System.Security.Cryptography;
using Tessera.Keys;
using Tessera.Storage.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// A key ring in the database the replicas share, sealed by <see cref="KeyRingSealer"/>. The first
/// replica to start stores it (importing the key file when there is one, so a single broker moving
/// to PostgreSQL keeps its keys); every other replica loads the same keys. Rare admin and
/// maintenance paths call it, so it blocks on the store rather than make every caller async.
/// </summary>
public sealed class DatabaseSigningKeyStorage(IKeyRingStore store, string name, KeyRingSealer sealer, TimeProvider time, string? importPath) : ISigningKeyStorage
{
    private readonly Lock _gate = new();
    private long _version;

    /// <inheritdoc />
    public long? SharedVersion => Interlocked.Read(ref _version);

    /// <inheritdoc />
    public bool Exists => Find() is not null || (importPath is not null && File.Exists(importPath));

    /// <inheritdoc />
    public SigningKeyRing LoadOrCreate(SigningAlgorithm algorithm)
    {
        lock (_gate)
        {
            while (true)
            {
                var stored = Find();
                if (stored is not null && stored.Version < Interlocked.Read(ref _version))
                {
                    throw Rollback(stored.Version);
                }

                bool legacy = false;
                List<SigningKey> keys = stored is not null ? Open(stored, allowLegacy: Interlocked.Read(ref _version) == 0, out legacy)
                    : importPath is not null && File.Exists(importPath) ? SigningKeyFile.Read(importPath)
                    : [];
                long version = stored?.Version ?? 0;
                if (stored is not null && keys.Count > 0 && keys[0].Algorithm == algorithm && !legacy)
                {
                    _version = version;
                    return new SigningKeyRing(keys[0], keys.Skip(1));
                }

                // A ring sealed before version binding is stored again, sealed to its next version.
                if (keys.Count == 0 || keys[0].Algorithm != algorithm)
                {
                    keys.Insert(0, SigningKey.Generate(algorithm, time.GetUtcNow()));
                }

                // Lost to a replica storing at the same moment: take what it stored.
                if (Replace(version, keys))
                {
                    _version = version + 1;
                    return new SigningKeyRing(keys[0], keys.Skip(1));
                }
            }
        }
    }

    /// <inheritdoc />
    public bool TrySave(IReadOnlyList<SigningKey> keys)
    {
        lock (_gate)
        {
            if (!Replace(_version, keys))
            {
                return false;
            }

            _version++;
            return true;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<SigningKey>? ReloadIfChanged()
    {
        lock (_gate)
        {
            var stored = Find();
            if (stored is null || stored.Version == _version)
            {
                return null;
            }

            // The version a replica has seen only grows: a lower one is a ring put back in the database.
            if (stored.Version < _version)
            {
                throw Rollback(stored.Version);
            }

            var keys = Open(stored, allowLegacy: false, out _);
            _version = stored.Version;
            return keys;
        }
    }

    private StoredKeyRing? Find() => store.FindAsync(name, CancellationToken.None).GetAwaiter().GetResult();

    private bool Replace(long expectedVersion, IReadOnlyList<SigningKey> keys)
    {
        byte[] json = SigningKeyFile.Serialize(keys);
        try
        {
            byte[] sealedRing = sealer.Seal(name, expectedVersion + 1, json);
            return store.TryReplaceAsync(name, expectedVersion, sealedRing, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    private InvalidOperationException Rollback(long stored) =>
        new($"the stored key ring '{name}' went back from version {Interlocked.Read(ref _version)} to {stored}: refused as a rollback; restore the newest ring or rotate the keys");

    private List<SigningKey> Open(StoredKeyRing stored, bool allowLegacy, out bool legacy)
    {
        byte[] json = sealer.Open(name, stored.Version, stored.Sealed, allowLegacy, out legacy);
        try
        {
            return SigningKeyFile.Parse(json, $"stored key ring '{name}'");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }
}
