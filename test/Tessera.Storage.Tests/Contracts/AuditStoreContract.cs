using Tessera.Audit;
using Tessera.Storage.Audit;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IAuditStore"/>: a single, linear, verifiable hash chain.</summary>
public abstract class AuditStoreContract(IStorageHarness harness) : StoreContract(harness)
{
    private IAuditStore Store => Stores.Audit;

    [Fact]
    public async Task AppendAsync_AssignsSequenceAndIdsFromOne_WhenStoreIsEmpty()
    {
        var stored = await Store.AppendAsync(Drafts("a", 3), Ct);

        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.Sequence));
        Assert.Equal(["evt-000001", "evt-000002", "evt-000003"], stored.Select(e => e.Id));
    }

    [Fact]
    public async Task AppendAsync_LinksFirstEventToGenesis_WhenStoreIsEmpty()
    {
        var stored = await Store.AppendAsync([Draft("first")], Ct);

        var first = Assert.Single(stored);
        Assert.Equal(AuditChain.GenesisHash, first.PrevHash);
        Assert.Equal(new string('0', 64), first.PrevHash);
        Assert.Equal(AuditChain.ComputeHash(first), first.Hash);
        Assert.Matches("^[0-9a-f]{64}$", first.Hash);
    }

    [Fact]
    public async Task AppendAsync_LinksEachEventToPrevious_WhenBatchHasSeveralDrafts()
    {
        var stored = await Store.AppendAsync(Drafts("batch", 5), Ct);

        AssertUnbrokenChain(stored, 5);
    }

    [Fact]
    public async Task AppendAsync_ContinuesChainFromHead_WhenAppendedInSeveralBatches()
    {
        var first = await Store.AppendAsync(Drafts("one", 3), Ct);
        var second = await Store.AppendAsync(Drafts("two", 2), Ct);
        var third = await Store.AppendAsync([Draft("three")], Ct);

        Assert.Equal([4L, 5L], second.Select(e => e.Sequence));
        Assert.Equal(first[^1].Hash, second[0].PrevHash);
        Assert.Equal(second[^1].Hash, third[0].PrevHash);
        Assert.Equal("evt-000006", third[0].Id);
        AssertUnbrokenChain(await ReadAllAsync(), 6);
    }

    [Fact]
    public async Task AppendAsync_ReturnsEventsEqualToStoredOnes_WhenReadBack()
    {
        var draft = new AuditEventDraft
        {
            TimestampMs = Now + 42,
            EventType = "delegation_issued",
            AgentId = "spiffe://tessera.test/agent/orch-1/task-1/abc",
            TaskId = "task-\u00e9\u00e8",
            OrchId = "orch-1",
            Detail = "scope=read:data:* | note: \u201cquoted\u201d \U0001F512\nsecond line",
            Resource = "https://api.example.test/v1",
            Outcome = "denied",
            DelegDepth = 3,
            DelegChainHash = TokenHash("chain"),
        };

        var stored = Assert.Single(await Store.AppendAsync([draft], Ct));
        var read = Assert.Single(await Store.ReadAsync(0, 10, Ct));

        Assert.Equal(stored, read);
        Assert.Equal(draft.TimestampMs, read.TimestampMs);
        Assert.Equal(draft.EventType, read.EventType);
        Assert.Equal(draft.AgentId, read.AgentId);
        Assert.Equal(draft.TaskId, read.TaskId);
        Assert.Equal(draft.OrchId, read.OrchId);
        Assert.Equal(draft.Detail, read.Detail);
        Assert.Equal(draft.Resource, read.Resource);
        Assert.Equal(draft.Outcome, read.Outcome);
        Assert.Equal(draft.DelegDepth, read.DelegDepth);
        Assert.Equal(draft.DelegChainHash, read.DelegChainHash);
        Assert.Equal(AuditChain.ComputeHash(read), read.Hash);
    }

    [Fact]
    public async Task AppendAsync_StoresNothing_WhenBatchIsEmpty()
    {
        var stored = await Store.AppendAsync([], Ct);

        Assert.Empty(stored);
        Assert.Equal(0, await Store.CountAsync(Ct));
        var next = await Store.AppendAsync([Draft("after-empty")], Ct);
        Assert.Equal(1, next[0].Sequence);
        Assert.Equal(AuditChain.GenesisHash, next[0].PrevHash);
    }

    [Fact]
    public async Task AppendAsync_BuildsOneUnbrokenChain_When20TasksAppend10DraftsConcurrently()
    {
        var batches = await Concurrently.RunAsync(20, t => Store.AppendAsync(Drafts($"task-{t:D2}", 10), Ct));

        await AssertConcurrentBatchesFormOneChainAsync(batches);
    }

    [Fact]
    public async Task AppendAsync_BuildsOneUnbrokenChain_WhenTwoHandlesAppendConcurrently()
    {
        var other = Harness.OpenIndependentHandle().Audit;

        var batches = await Concurrently.RunAsync(20, t => (t % 2 == 0 ? Store : other).AppendAsync(Drafts($"task-{t:D2}", 10), Ct));

        await AssertConcurrentBatchesFormOneChainAsync(batches);
    }

    [Fact]
    public async Task CountAsync_ReturnsNumberOfEvents_WhenEventsWereAppended()
    {
        Assert.Equal(0, await Store.CountAsync(Ct));

        await Store.AppendAsync(Drafts("a", 7), Ct);
        Assert.Equal(7, await Store.CountAsync(Ct));

        await Store.AppendAsync(Drafts("b", 5), Ct);
        Assert.Equal(12, await Store.CountAsync(Ct));
    }

    [Fact]
    public async Task ReadAsync_ReturnsPagesInOrder_WhenLimitIsSmallerThanLog()
    {
        var appended = await Store.AppendAsync(Drafts("p", 25), Ct);

        var page1 = await Store.ReadAsync(0, 10, Ct);
        var page2 = await Store.ReadAsync(page1[^1].Sequence, 10, Ct);
        var page3 = await Store.ReadAsync(page2[^1].Sequence, 10, Ct);
        var page4 = await Store.ReadAsync(page3[^1].Sequence, 10, Ct);

        Assert.Equal(appended.Take(10), page1);
        Assert.Equal(appended.Skip(10).Take(10), page2);
        Assert.Equal(appended.Skip(20), page3);
        Assert.Empty(page4);
    }

    [Fact]
    public async Task ReadAsync_StartsAfterCursor_WhenCursorIsInsideLog()
    {
        var appended = await Store.AppendAsync(Drafts("c", 8), Ct);

        var tail = await Store.ReadAsync(5, 100, Ct);

        Assert.Equal([6L, 7L, 8L], tail.Select(e => e.Sequence));
        Assert.Equal(appended.Skip(5), tail);
        Assert.Empty(await Store.ReadAsync(8, 100, Ct));
        Assert.Empty(await Store.ReadAsync(1000, 100, Ct));
    }

    [Fact]
    public async Task ReadAsync_ReturnsEmpty_WhenStoreIsEmpty()
    {
        Assert.Empty(await Store.ReadAsync(0, 100, Ct));
    }

    /// <summary>
    /// Checks the outcome of concurrent batch appends: each batch got a contiguous run of
    /// sequence numbers in draft order, the runs tile 1..N with no gap or overlap, and the
    /// whole log read back is one chain whose every link and hash verifies.
    /// </summary>
    private async Task AssertConcurrentBatchesFormOneChainAsync(IReadOnlyList<IReadOnlyList<AuditEvent>> batches)
    {
        int total = batches.Sum(b => b.Count);
        Assert.Equal(200, total);

        for (int t = 0; t < batches.Count; t++)
        {
            var batch = batches[t];
            Assert.Equal(10, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                Assert.Equal(batch[0].Sequence + i, batch[i].Sequence);
                Assert.Equal($"task-{t:D2}/item-{i:D2}", batch[i].Detail);
            }
        }

        Assert.Equal(
            Enumerable.Range(1, total).Select(i => (long)i),
            batches.SelectMany(b => b).Select(e => e.Sequence).Order());

        Assert.Equal(total, await Store.CountAsync(Ct));
        var all = await ReadAllAsync();
        AssertUnbrokenChain(all, total);

        var returned = batches.SelectMany(b => b).OrderBy(e => e.Sequence).ToList();
        Assert.Equal(returned, all);
    }

    private async Task<List<AuditEvent>> ReadAllAsync()
    {
        var all = new List<AuditEvent>();
        long after = 0;
        while (true)
        {
            var page = await Store.ReadAsync(after, 37, Ct);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
            after = page[^1].Sequence;
        }
    }

    private static void AssertUnbrokenChain(IReadOnlyList<AuditEvent> events, int expectedCount)
    {
        Assert.Equal(expectedCount, events.Count);
        string prev = AuditChain.GenesisHash;
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            long seq = i + 1;
            Assert.Equal(seq, e.Sequence);
            Assert.Equal(AuditChain.IdFor(seq), e.Id);
            Assert.Equal(prev, e.PrevHash);
            Assert.Equal(AuditChain.ComputeHash(e), e.Hash);
            prev = e.Hash;
        }

        Assert.Equal(expectedCount, events.Select(e => e.Hash).Distinct().Count());
    }
}
