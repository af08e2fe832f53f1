using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tessera.Broker.Keys;
using Tessera.Keys;
using Tessera.Storage.Keys;

namespace Tessera.Broker.Tests;

/// <summary>Signing keys kept in the database replicas share: sealed under the key-encryption key, changed by compare-and-set.</summary>
public sealed class SharedSigningKeysTests
{
    private static readonly byte[] Kek = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void Open_ReturnsThePlaintext_WhenSealedUnderTheSameKeyAndName()
    {
        var sealer = new KeyRingSealer(Kek);
        byte[] plaintext = Encoding.UTF8.GetBytes("""{"keys":[{"private_key":"c2VjcmV0"}]}""");

        byte[] sealedRing = sealer.Seal("main", 3, plaintext);

        Assert.Equal(plaintext, sealer.Open("main", 3, sealedRing, allowLegacy: false, out bool legacy));
        Assert.False(legacy);
        Assert.Equal(-1, sealedRing.AsSpan().IndexOf("private_key"u8));
        Assert.NotEqual(sealedRing, sealer.Seal("main", 3, plaintext));
    }

    [Fact]
    public void Open_Throws_WhenKeyNameVersionOrBytesDiffer()
    {
        byte[] sealedRing = new KeyRingSealer(Kek).Seal("main", 1, "ring"u8);
        byte[] otherKek = [.. Kek];
        otherKek[0] ^= 1;
        byte[] altered = [.. sealedRing];
        altered[^1] ^= 1;

        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(otherKek).Open("main", 1, sealedRing, false, out _));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("profile", 1, sealedRing, false, out _));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", 2, sealedRing, false, out _));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", 1, altered, false, out _));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", 1, [1, .. sealedRing[1..]], true, out _));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", 1, [3, .. sealedRing[1..]], true, out _));
        Assert.Throws<ArgumentException>(() => new KeyRingSealer(new byte[16]));
    }

    [Fact]
    public void LoadOrCreate_GivesEveryReplicaTheSameKeys_WhenTheyStartTogether()
    {
        var store = new MemoryKeyRingStore();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        var rings = Enumerable.Range(0, 8).AsParallel().Select(_ => Storage(store, time).LoadOrCreate(SigningAlgorithm.EdDSA)).ToList();

        Assert.Single(rings.Select(r => r.Active.KeyId).Distinct());
        Assert.Equal(1, store.Version("main"));
    }

    [Fact]
    public void LoadOrCreate_ImportsTheKeyFile_WhenTheDatabaseHasNoRingYet()
    {
        string dir = Directory.CreateTempSubdirectory("tessera-shared-keys-").FullName;
        string path = Path.Combine(dir, "signing-key.json");
        var time = new FakeTimeProvider();
        var fileRing = SigningKeyFile.LoadOrCreate(path, SigningAlgorithm.EdDSA, time);
        var store = new MemoryKeyRingStore();

        var ring = new DatabaseSigningKeyStorage(store, "main", new KeyRingSealer(Kek), time, path).LoadOrCreate(SigningAlgorithm.EdDSA);

        Assert.Equal(fileRing.Active.KeyId, ring.Active.KeyId);
        var reopened = SigningKeyFile.Parse(new KeyRingSealer(Kek).Open("main", 1, store.Find("main")!.Sealed, false, out _), "test");
        Assert.Equal(fileRing.Active.KeyId, reopened[0].KeyId);
    }

    [Fact]
    public void TrySave_LetsOnlyOneReplicaWin_AndTheOtherReloadsTheWinnersKeys()
    {
        var store = new MemoryKeyRingStore();
        var time = new FakeTimeProvider();
        var a = Storage(store, time);
        var b = Storage(store, time);
        var ringA = a.LoadOrCreate(SigningAlgorithm.EdDSA);
        var ringB = b.LoadOrCreate(SigningAlgorithm.EdDSA);
        Assert.Null(b.ReloadIfChanged());

        var nextA = SigningKey.Generate(SigningAlgorithm.EdDSA, time.GetUtcNow());
        var nextB = SigningKey.Generate(SigningAlgorithm.EdDSA, time.GetUtcNow());
        Assert.True(a.TrySave([nextA, .. ringA.All]));
        Assert.False(b.TrySave([nextB, .. ringB.All]));

        var reloaded = b.ReloadIfChanged();
        Assert.NotNull(reloaded);
        Assert.Equal([nextA.KeyId, ringA.Active.KeyId], reloaded.Select(k => k.KeyId));
        Assert.Null(b.ReloadIfChanged());
        Assert.True(b.TrySave(reloaded));
    }

    [Fact]
    public void ReloadIfChanged_KeepsTheRotatedKeys_WhenAnOlderRingIsWrittenBackUnderAHigherVersion()
    {
        // Security review 18.6: the old sealed ring written back with a higher version number.
        var store = new MemoryKeyRingStore();
        var time = new FakeTimeProvider();
        var a = Storage(store, time);
        var b = Storage(store, time);
        var original = a.LoadOrCreate(SigningAlgorithm.EdDSA);
        b.LoadOrCreate(SigningAlgorithm.EdDSA);
        byte[] oldSealed = store.Find("main")!.Sealed;
        var rotated = SigningKey.Generate(SigningAlgorithm.EdDSA, time.GetUtcNow());
        Assert.True(a.TrySave([rotated]));
        Assert.Equal([rotated.KeyId], b.ReloadIfChanged()!.Select(k => k.KeyId));

        store.Put("main", 3, oldSealed);

        var refused = Assert.Throws<InvalidOperationException>(() => b.ReloadIfChanged());
        Assert.Contains("does not open as version 3", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => a.ReloadIfChanged());
        Assert.Throws<InvalidOperationException>(() => Storage(store, time).LoadOrCreate(SigningAlgorithm.EdDSA));
        Assert.NotEqual(original.Active.KeyId, rotated.KeyId);
    }

    [Fact]
    public void ReloadIfChanged_Refuses_WhenTheVersionItselfGoesBack()
    {
        var store = new MemoryKeyRingStore();
        var time = new FakeTimeProvider();
        var a = Storage(store, time);
        a.LoadOrCreate(SigningAlgorithm.EdDSA);
        byte[] oldSealed = store.Find("main")!.Sealed;
        Assert.True(a.TrySave([SigningKey.Generate(SigningAlgorithm.EdDSA, time.GetUtcNow())]));

        store.Put("main", 1, oldSealed);

        var refused = Assert.Throws<InvalidOperationException>(() => a.ReloadIfChanged());
        Assert.Contains("went back from version 2 to 1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_ReSealsALegacyRingToItsNextVersion_AndRefusesLegacyAfterwards()
    {
        var store = new MemoryKeyRingStore();
        var time = new FakeTimeProvider();
        var sealer = new KeyRingSealer(Kek);
        var key = SigningKey.Generate(SigningAlgorithm.EdDSA, time.GetUtcNow());
        byte[] legacy = sealer.SealLegacy("main", SigningKeyFile.Serialize([key]));
        store.Put("main", 1, legacy);

        var storage = Storage(store, time);
        var ring = storage.LoadOrCreate(SigningAlgorithm.EdDSA);

        Assert.Equal(key.KeyId, ring.Active.KeyId);
        Assert.Equal(2, store.Version("main"));
        Assert.Equal(2, store.Find("main")!.Sealed[0]);
        store.Put("main", 3, legacy);
        Assert.Throws<InvalidOperationException>(() => storage.ReloadIfChanged());
    }

    private static DatabaseSigningKeyStorage Storage(IKeyRingStore store, TimeProvider time) => new(store, "main", new KeyRingSealer(Kek), time, null);

    /// <summary>The compare-and-set of a real store, in memory.</summary>
    private sealed class MemoryKeyRingStore : IKeyRingStore
    {
        private readonly Dictionary<string, StoredKeyRing> _rings = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public StoredKeyRing? Find(string name)
        {
            lock (_gate)
            {
                return _rings.GetValueOrDefault(name);
            }
        }

        public long Version(string name) => Find(name)?.Version ?? 0;

        /// <summary>What someone with write access to the database can do.</summary>
        public void Put(string name, long version, byte[] sealedRing)
        {
            lock (_gate)
            {
                _rings[name] = new StoredKeyRing(name, version, [.. sealedRing]);
            }
        }

        public Task<StoredKeyRing?> FindAsync(string name, CancellationToken cancellationToken) => Task.FromResult(Find(name));

        public Task<bool> TryReplaceAsync(string name, long expectedVersion, byte[] sealedRing, long nowMs, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                long current = _rings.TryGetValue(name, out var stored) ? stored.Version : 0;
                if (current != expectedVersion)
                {
                    return Task.FromResult(false);
                }

                _rings[name] = new StoredKeyRing(name, current + 1, [.. sealedRing]);
                return Task.FromResult(true);
            }
        }
    }
}
