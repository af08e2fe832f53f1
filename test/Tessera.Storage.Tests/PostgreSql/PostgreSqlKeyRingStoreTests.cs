using Tessera.Storage.PostgreSql;
using Tessera.Storage.Tests.Infrastructure;

namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>Sealed key rings shared by replicas: every change a compare-and-set, heard by every replica.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlKeyRingStoreTests
{
    private static CancellationToken Ct => CancellationToken.None;

    private static byte[] Blob(int n) => [.. Enumerable.Range(0, 40).Select(i => (byte)(i + n))];

    [Fact]
    public async Task FindAsync_ReturnsNull_WhenNoRingIsStored()
    {
        using var harness = new PostgreSqlStorageHarness();

        Assert.Null(await new PostgreSqlKeyRingStore(harness.Database).FindAsync("main", Ct));
    }

    [Fact]
    public async Task TryReplaceAsync_StoresVersionOne_WhenNoRingIsStored()
    {
        using var harness = new PostgreSqlStorageHarness();
        var store = new PostgreSqlKeyRingStore(harness.Database);

        Assert.True(await store.TryReplaceAsync("main", 0, Blob(1), 1000, Ct));

        var stored = await store.FindAsync("main", Ct);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Version);
        Assert.Equal(Blob(1), stored.Sealed);
        Assert.Null(await store.FindAsync("profile", Ct));
    }

    [Fact]
    public async Task TryReplaceAsync_AcceptsOnlyTheExpectedVersion_WhenTheRingExists()
    {
        using var harness = new PostgreSqlStorageHarness();
        var store = new PostgreSqlKeyRingStore(harness.Database);
        Assert.True(await store.TryReplaceAsync("main", 0, Blob(1), 1000, Ct));

        Assert.False(await store.TryReplaceAsync("main", 0, Blob(2), 1001, Ct));
        Assert.False(await store.TryReplaceAsync("main", 2, Blob(2), 1001, Ct));
        Assert.True(await store.TryReplaceAsync("main", 1, Blob(3), 1002, Ct));
        Assert.False(await store.TryReplaceAsync("main", 1, Blob(4), 1003, Ct));

        var stored = await store.FindAsync("main", Ct);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(Blob(3), stored.Sealed);
    }

    [Fact]
    public async Task TryReplaceAsync_LetsExactlyOneWin_When20ReplicasRaceOnOneVersion()
    {
        using var harness = new PostgreSqlStorageHarness();
        var stores = new[] { new PostgreSqlKeyRingStore(harness.Database), new PostgreSqlKeyRingStore(harness.OpenIndependentDatabase()) };

        var first = await Concurrently.RunAsync(20, i => stores[i % 2].TryReplaceAsync("main", 0, Blob(i), 1000, Ct));
        var second = await Concurrently.RunAsync(20, i => stores[i % 2].TryReplaceAsync("main", 1, Blob(100 + i), 1001, Ct));

        int firstWinner = Assert.Single(Enumerable.Range(0, 20), i => first[i]);
        int secondWinner = Assert.Single(Enumerable.Range(0, 20), i => second[i]);
        Assert.NotEqual(-1, firstWinner);
        var stored = await stores[0].FindAsync("main", Ct);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(Blob(100 + secondWinner), stored.Sealed);
    }

    [Fact]
    public async Task Changes_SignalKeyRings_WhenAnotherReplicaChangesARing()
    {
        using var harness = new PostgreSqlStorageHarness();
        await harness.Database.Changes.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var keyRings = harness.Database.Changes.KeyRings;
        var other = new PostgreSqlKeyRingStore(harness.OpenIndependentDatabase());

        var changed = keyRings.Changed;
        Assert.False(await other.TryReplaceAsync("main", 5, Blob(1), 1000, Ct));
        Assert.True(await other.TryReplaceAsync("main", 0, Blob(1), 1000, Ct));
        await changed.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
