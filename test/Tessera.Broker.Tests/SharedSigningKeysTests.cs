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

        byte[] sealedRing = sealer.Seal("main", plaintext);

        Assert.Equal(plaintext, sealer.Open("main", sealedRing));
        Assert.Equal(-1, sealedRing.AsSpan().IndexOf("private_key"u8));
        Assert.NotEqual(sealedRing, sealer.Seal("main", plaintext));
    }

    [Fact]
    public void Open_Throws_WhenKeyNameOrBytesDiffer()
    {
        byte[] sealedRing = new KeyRingSealer(Kek).Seal("main", "ring"u8);
        byte[] otherKek = [.. Kek];
        otherKek[0] ^= 1;
        byte[] altered = [.. sealedRing];
        altered[^1] ^= 1;

        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(otherKek).Open("main", sealedRing));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("profile", sealedRing));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", altered));
        Assert.Throws<InvalidOperationException>(() => new KeyRingSealer(Kek).Open("main", [2, .. sealedRing[1..]]));
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
        var reopened = SigningKeyFile.Parse(new KeyRingSealer(Kek).Open("main", store.Find("main")!.Sealed), "test");
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
