using Tessera.Storage.Revocations;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IRevocationStore"/>.</summary>
public abstract class RevocationStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private IRevocationStore Store => Stores.Revocations;

    [Fact]
    public async Task AddAsync_ReturnsIncreasingSequence_WhenEntriesAreNew()
    {
        var a = await Store.AddAsync(Revocation(RevocationLevel.Token, "jti-1", Now + Hour), Ct);
        var b = await Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + Hour), Ct);
        var c = await Store.AddAsync(Revocation(RevocationLevel.Task, "task-1", Now + Hour), Ct);
        var d = await Store.AddAsync(Revocation(RevocationLevel.Chain, "agent-1", Now + Hour), Ct);

        Assert.True(a.Sequence > 0);
        Assert.True(b.Sequence > a.Sequence);
        Assert.True(c.Sequence > b.Sequence);
        Assert.True(d.Sequence > c.Sequence);
    }

    [Fact]
    public async Task AddAsync_ReturnsStoredFields_WhenEntryIsNew()
    {
        var record = Revocation(RevocationLevel.Agent, "spiffe://tessera.test/agent/x", Now + Hour, reason: "compromised");

        var stored = await Store.AddAsync(record, Ct);

        Assert.Equal(record with { Sequence = stored.Sequence }, stored);
    }

    [Fact]
    public async Task AddAsync_ReturnsNewSequenceAndExtendsExpiry_WhenRepeatExpiresLater()
    {
        var first = await Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + Hour), Ct);
        var other = await Store.AddAsync(Revocation(RevocationLevel.Token, "other", Now + Hour), Ct);

        var longer = await Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + 3 * Hour), Ct);
        var shorter = await Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + 2 * Hour), Ct);

        Assert.True(longer.Sequence > first.Sequence);
        // Readers already past the first entry must receive the longer expiry; a repeat that
        // changes nothing keeps the entry where it is.
        Assert.True(longer.Sequence > other.Sequence);
        Assert.Equal(longer, shorter);
        Assert.Equal(Now + 3 * Hour, longer.ExpiresAtMs);

        Assert.Equal([other, longer], await Store.ListAsync(0, Now, 100, Ct));
        Assert.Equal([longer], await Store.ListAsync(other.Sequence, Now, 100, Ct));
    }

    [Fact]
    public async Task AddAsync_ReturnsNewSequenceWithLaterTimeAndMaxExpiry_WhenRevokedAgainLater()
    {
        var first = await Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + 2 * Hour, reason: "suspended: a"), Ct);
        var other = await Store.AddAsync(Revocation(RevocationLevel.Token, "other", Now + Hour), Ct);

        var again = await Store.AddAsync(
            Revocation(RevocationLevel.Agent, "agent-1", Now + Hour, reason: "suspended: b") with { RevokedAtMs = Now + Minute }, Ct);

        Assert.True(again.Sequence > other.Sequence);
        Assert.Equal("suspended: b", again.Reason);
        Assert.Equal(Now + Minute, again.RevokedAtMs);
        Assert.Equal(Now + 2 * Hour, again.ExpiresAtMs);
        Assert.True(again.Sequence > first.Sequence);
        Assert.Equal([again], await Store.ListAsync(other.Sequence, Now, 100, Ct));
        Assert.Equal([other, again], await Store.ListAsync(0, Now, 100, Ct));
    }

    [Fact]
    public async Task AddAsync_KeepsEntryUnchanged_WhenRepeatIsEarlierAndExpiresSooner()
    {
        var first = await Store.AddAsync(
            Revocation(RevocationLevel.Task, "task-1", Now + 2 * Hour, reason: "released") with { RevokedAtMs = Now + Minute }, Ct);

        var repeat = await Store.AddAsync(Revocation(RevocationLevel.Task, "task-1", Now + Hour, reason: "compromised"), Ct);

        Assert.Equal(first, repeat);
        Assert.Equal([first], await Store.ListAsync(0, Now, 100, Ct));
    }

    [Fact]
    public async Task AddAsync_CreatesSeparateEntries_WhenTargetIsSameButLevelDiffers()
    {
        var agent = await Store.AddAsync(Revocation(RevocationLevel.Agent, "id-1", Now + Hour), Ct);
        var chain = await Store.AddAsync(Revocation(RevocationLevel.Chain, "id-1", Now + Hour), Ct);

        Assert.NotEqual(agent.Sequence, chain.Sequence);
        Assert.Equal(2, (await Store.ListAsync(0, Now, 100, Ct)).Count);
    }

    [Fact]
    public async Task AddAsync_ReturnsDistinctSequences_When50DistinctRevocationsRace()
    {
        var stored = await Concurrently.RunAsync(50, i => Store.AddAsync(Revocation(RevocationLevel.Token, $"jti-{i:D2}", Now + Hour), Ct));

        Assert.Equal(50, stored.Select(s => s.Sequence).Distinct().Count());
        var listed = await Store.ListAsync(0, Now, 100, Ct);
        Assert.Equal(stored.Select(s => s.Sequence).Order(), listed.Select(r => r.Sequence));
        Assert.Equal(stored.Select(s => s.Target).Order(StringComparer.Ordinal), listed.Select(r => r.Target).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AddAsync_StoresOneEntryWithMaxExpiry_When50RepeatsRace()
    {
        var stored = await Concurrently.RunAsync(
            50, i => Store.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + Hour + i), Ct));

        var entry = Assert.Single(await Store.ListAsync(0, Now, 100, Ct));
        Assert.Equal(stored.Max(s => s.Sequence), entry.Sequence);
        Assert.Equal(Now + Hour + 49, entry.ExpiresAtMs);
    }

    [Fact]
    public async Task ListAsync_ReturnsLaterEntriesInOrder_WhenCursorIsGiven()
    {
        var added = new List<RevocationRecord>();
        for (int i = 0; i < 6; i++)
        {
            added.Add(await Store.AddAsync(Revocation(RevocationLevel.Token, $"jti-{i}", Now + Hour, reason: $"r{i}"), Ct));
        }

        var page = await Store.ListAsync(added[2].Sequence, Now, 100, Ct);

        Assert.Equal(added.Skip(3), page);
    }

    [Fact]
    public async Task ListAsync_ReturnsEverything_WhenCursorIsZero()
    {
        var a = await Store.AddAsync(Revocation(RevocationLevel.Token, "jti-a", Now + Hour), Ct);
        var b = await Store.AddAsync(Revocation(RevocationLevel.Task, "task-b", Now + 2 * Hour, reason: "done"), Ct);

        Assert.Equal([a, b], await Store.ListAsync(0, Now, 100, Ct));
    }

    [Fact]
    public async Task ListAsync_SkipsExpiredEntries_WhenSomeHaveExpired()
    {
        var gone = await Store.AddAsync(Revocation(RevocationLevel.Token, "gone", Now - 1), Ct);
        var atNow = await Store.AddAsync(Revocation(RevocationLevel.Token, "at-now", Now), Ct);
        var live1 = await Store.AddAsync(Revocation(RevocationLevel.Token, "live-1", Now + 1), Ct);
        var live2 = await Store.AddAsync(Revocation(RevocationLevel.Agent, "live-2", Now + Hour), Ct);

        var listed = await Store.ListAsync(0, Now, 100, Ct);

        Assert.Equal([live1, live2], listed);
        Assert.DoesNotContain(listed, r => r.Sequence == gone.Sequence || r.Sequence == atNow.Sequence);
        Assert.Equal([live2], await Store.ListAsync(0, Now + 1, 100, Ct));
    }

    [Fact]
    public async Task ListAsync_RespectsLimit_WhenMoreEntriesExist()
    {
        var added = new List<RevocationRecord>();
        for (int i = 0; i < 10; i++)
        {
            added.Add(await Store.AddAsync(Revocation(RevocationLevel.Token, $"jti-{i}", Now + Hour), Ct));
        }

        var first = await Store.ListAsync(0, Now, 4, Ct);
        var second = await Store.ListAsync(first[^1].Sequence, Now, 4, Ct);
        var third = await Store.ListAsync(second[^1].Sequence, Now, 4, Ct);
        var fourth = await Store.ListAsync(third[^1].Sequence, Now, 4, Ct);

        Assert.Equal(added.Take(4), first);
        Assert.Equal(added.Skip(4).Take(4), second);
        Assert.Equal(added.Skip(8), third);
        Assert.Empty(fourth);
    }

    [Fact]
    public async Task ListAsync_ReturnsEmpty_WhenStoreIsEmpty()
    {
        Assert.Empty(await Store.ListAsync(0, Now, 100, Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_DeletesOnlyExpiredEntries_WhenSomeHaveExpired()
    {
        await Store.AddAsync(Revocation(RevocationLevel.Token, "gone", Now - Hour), Ct);
        await Store.AddAsync(Revocation(RevocationLevel.Token, "at-now", Now), Ct);
        var live = await Store.AddAsync(Revocation(RevocationLevel.Token, "live", Now + 1), Ct);

        Assert.Equal(2, await Store.PurgeExpiredAsync(Now, Ct));
        Assert.Equal(0, await Store.PurgeExpiredAsync(Now, Ct));

        // Purged entries are gone for good, even to a reader whose clock is behind.
        Assert.Equal([live], await Store.ListAsync(0, Now - 2 * Hour, 100, Ct));
    }

    [Fact]
    public async Task AddAsync_NeverReusesSequence_WhenEarlierEntriesWerePurged()
    {
        var old = await Store.AddAsync(Revocation(RevocationLevel.Token, "a", Now - 1), Ct);
        var newest = await Store.AddAsync(Revocation(RevocationLevel.Token, "b", Now - 1), Ct);
        Assert.Equal(2, await Store.PurgeExpiredAsync(Now, Ct));

        var after = await Store.AddAsync(Revocation(RevocationLevel.Token, "c", Now + Hour), Ct);
        var readded = await Store.AddAsync(Revocation(RevocationLevel.Token, "a", Now + Hour), Ct);

        // A feed cursor must never see a sequence number it already passed.
        Assert.True(after.Sequence > newest.Sequence);
        Assert.True(readded.Sequence > after.Sequence);
        Assert.NotEqual(old.Sequence, readded.Sequence);
    }

    [Fact]
    public async Task ListAsync_SeesEntriesAddedThroughAnotherHandle_WhenBothAdd()
    {
        var other = Harness.OpenIndependentHandle().Revocations;

        var a = await Store.AddAsync(Revocation(RevocationLevel.Token, "a", Now + Hour), Ct);
        var b = await other.AddAsync(Revocation(RevocationLevel.Token, "b", Now + Hour), Ct);
        var aAgain = await other.AddAsync(Revocation(RevocationLevel.Token, "a", Now + 2 * Hour), Ct);

        Assert.True(b.Sequence > a.Sequence);
        Assert.True(aAgain.Sequence > b.Sequence);
        Assert.Equal([b, a with { Sequence = aAgain.Sequence, ExpiresAtMs = Now + 2 * Hour }], await Store.ListAsync(0, Now, 100, Ct));
    }
}
