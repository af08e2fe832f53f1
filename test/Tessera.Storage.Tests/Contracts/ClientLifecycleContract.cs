using Tessera.Storage.Clients;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>
/// The contract of the <see cref="IClientStore"/> status lifecycle: guarded transitions
/// (<see cref="IClientStore.TransitionAsync"/>) and the denial counter that suspends a client
/// (<see cref="IClientStore.ApplyOutcomesAsync"/>).
/// </summary>
public abstract class ClientLifecycleContract(IStorageHarness harness) : ClientContract(harness)
{
    private const string Reason = "automatic suspension";

    private static readonly string[] FromActive = ["active"];

    [Fact]
    public async Task TransitionAsync_ChangesStatusAndRecordsReason_WhenStatusIsAllowed()
    {
        var client = await CreateAsync("c1");

        Assert.True(await Store.TransitionAsync(client.EntityId, FromActive, "suspended", "suspended by an operator", Now + Minute, Ct));

        var found = await FindAsync(client);
        Assert.Equal("suspended", found.Status);
        Assert.Equal("suspended by an operator", found.StatusReason);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
        Assert.Equal(client.CreatedAtMs, found.CreatedAtMs);
    }

    [Theory]
    [InlineData("active")]
    [InlineData("suspended")]
    public async Task TransitionAsync_ReturnsTrue_WhenStatusIsAnyOfSeveralAllowed(string status)
    {
        var client = await CreateAsync("c1", status);

        Assert.True(await Store.TransitionAsync(client.EntityId, ["active", "suspended"], "revoked", "revoked by an operator", Now, Ct));

        Assert.Equal("revoked", (await FindAsync(client)).Status);
    }

    [Theory]
    [InlineData("suspended", new[] { "active" }, "suspended")]
    [InlineData("revoked", new[] { "suspended" }, "active")]
    [InlineData("revoked", new[] { "active", "suspended" }, "revoked")]
    [InlineData("active", new[] { "suspended" }, "active")]
    [InlineData("active", new string[0], "suspended")]
    public async Task TransitionAsync_ReturnsFalseAndChangesNothing_WhenStatusIsNotAllowed(string status, string[] from, string to)
    {
        var client = await CreateAsync("c1", status);
        await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 3)], 0, Now, Ct);

        Assert.False(await Store.TransitionAsync(client.EntityId, from, to, "should not stick", Now + Minute, Ct));

        var found = await FindAsync(client);
        Assert.Equal(status, found.Status);
        Assert.Equal("", found.StatusReason);
        Assert.Equal(3, found.ConsecutiveDenials);
        Assert.Equal(client.UpdatedAtMs, found.UpdatedAtMs);
    }

    [Fact]
    public async Task TransitionAsync_ReturnsFalse_WhenClientIsUnknown()
    {
        await CreateAsync("c1");

        Assert.False(await Store.TransitionAsync(Client("ghost").EntityId, FromActive, "suspended", Reason, Now, Ct));
    }

    [Fact]
    public async Task TransitionAsync_ClearsConsecutiveDenials_WhenItSucceeds()
    {
        var client = await CreateAsync("c1");
        Assert.Equal(4, (await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 4)], 0, Now, Ct)).ConsecutiveDenials);

        Assert.True(await Store.TransitionAsync(client.EntityId, FromActive, "suspended", Reason, Now, Ct));

        Assert.Equal(0, (await FindAsync(client)).ConsecutiveDenials);
    }

    [Fact]
    public async Task TransitionAsync_ChangesOnlyThatClient_WhenSeveralExist()
    {
        var target = await CreateAsync("target");
        var bystander = await CreateAsync("bystander");
        await Store.ApplyOutcomesAsync(bystander.EntityId, [new OutcomeRun(true, 2)], 0, Now, Ct);

        Assert.True(await Store.TransitionAsync(target.EntityId, FromActive, "suspended", Reason, Now + 1, Ct));

        var other = await FindAsync(bystander);
        Assert.Equal("active", other.Status);
        Assert.Equal("", other.StatusReason);
        Assert.Equal(2, other.ConsecutiveDenials);
    }

    [Fact]
    public async Task TransitionAsync_SucceedsExactlyOnce_When20SuspensionsRace()
    {
        var client = await CreateAsync("c1");

        var results = await Concurrently.RunAsync(20, i => Store.TransitionAsync(client.EntityId, FromActive, "suspended", $"racer-{i:D2}", Now + i, Ct));

        int winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i]);
        var found = await FindAsync(client);
        Assert.Equal("suspended", found.Status);
        Assert.Equal($"racer-{winner:D2}", found.StatusReason);
        Assert.Equal(Now + winner, found.UpdatedAtMs);
    }

    [Fact]
    public async Task TransitionAsync_SucceedsExactlyOnce_When20SuspensionsRaceThroughTwoHandles()
    {
        var client = await CreateAsync("c1");
        var other = Harness.OpenIndependentHandle().Clients;

        var results = await Concurrently.RunAsync(20, i => (i % 2 == 0 ? Store : other).TransitionAsync(client.EntityId, FromActive, "suspended", Reason, Now, Ct));

        Assert.Equal(1, results.Count(r => r));
        Assert.Equal("suspended", (await FindAsync(client)).Status);
    }

    [Fact]
    public async Task TransitionAsync_LetsOnlyOneOfTwoConflictingMovesWin_WhenSuspendAndRevokeRace()
    {
        var client = await CreateAsync("c1");

        // Revoke is allowed from suspended too, so a revoke may also win after the suspension.
        var results = await Concurrently.RunAsync(20, i => i % 2 == 0
            ? Store.TransitionAsync(client.EntityId, FromActive, "suspended", "suspend", Now, Ct)
            : Store.TransitionAsync(client.EntityId, ["active", "suspended"], "revoked", "revoke", Now, Ct));

        int suspends = Enumerable.Range(0, 20).Count(i => i % 2 == 0 && results[i]);
        int revokes = Enumerable.Range(0, 20).Count(i => i % 2 == 1 && results[i]);
        Assert.InRange(suspends, 0, 1);
        Assert.Equal(1, revokes);
        var found = await FindAsync(client);
        Assert.Equal("revoked", found.Status);
        Assert.Equal("revoke", found.StatusReason);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_AddsEveryDenialRun_WhenNoneIsAllowed()
    {
        var client = await CreateAsync("c1");

        var first = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 3), new OutcomeRun(true, 2)], 0, Now, Ct);
        var second = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1)], 0, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 5, false), first);
        Assert.Equal(new OutcomeResult(true, 6, false), second);
        Assert.Equal(6, (await FindAsync(client)).ConsecutiveDenials);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_ResetsCounter_WhenAnAllowedRunFollowsDenials()
    {
        var client = await CreateAsync("c1");
        await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 4)], 10, Now, Ct);

        var reset = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 3), new OutcomeRun(false, 1)], 10, Now, Ct);
        var afterReset = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 2), new OutcomeRun(false, 5), new OutcomeRun(true, 2)], 10, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 0, false), reset);
        Assert.Equal(new OutcomeResult(true, 2, false), afterReset);
        var found = await FindAsync(client);
        Assert.Equal(2, found.ConsecutiveDenials);
        Assert.Equal("active", found.Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_LeavesCounter_WhenRunsAreEmpty()
    {
        var client = await CreateAsync("c1");
        await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 3)], 5, Now, Ct);

        var result = await Store.ApplyOutcomesAsync(client.EntityId, [], 5, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 3, false), result);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_SuspendsOnce_WhenCounterReachesThreshold()
    {
        var client = await CreateAsync("c1");
        Assert.Equal(new OutcomeResult(true, 4, false), await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 4)], 5, Now, Ct));

        var reached = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1)], 5, Now + Minute, Ct);
        var beyond = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 3)], 5, Now + Hour, Ct);

        Assert.Equal(new OutcomeResult(true, 5, true), reached);
        Assert.Equal(new OutcomeResult(true, 8, false), beyond);
        var found = await FindAsync(client);
        Assert.Equal("suspended", found.Status);
        Assert.NotEqual("", found.StatusReason);
        Assert.Equal(Now + Minute, found.UpdatedAtMs);
        Assert.Equal(8, found.ConsecutiveDenials);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_SuspendsOnce_WhenOneRunOvershootsThreshold()
    {
        var client = await CreateAsync("c1");

        var result = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 2), new OutcomeRun(true, 20)], 5, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 22, true), result);
        Assert.Equal("suspended", (await FindAsync(client)).Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_StillSuspends_WhenAllowedRunFollowsTheRunThatReachedThreshold()
    {
        var client = await CreateAsync("c1");

        var result = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 5), new OutcomeRun(false, 1)], 5, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 0, true), result);
        Assert.Equal("suspended", (await FindAsync(client)).Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_DoesNotSuspend_WhenDenialsNeverRunLongEnough()
    {
        var client = await CreateAsync("c1");

        var result = await Store.ApplyOutcomesAsync(
            client.EntityId,
            [new OutcomeRun(true, 4), new OutcomeRun(false, 1), new OutcomeRun(true, 4), new OutcomeRun(false, 1), new OutcomeRun(true, 4)],
            5,
            Now,
            Ct);

        Assert.Equal(new OutcomeResult(true, 4, false), result);
        Assert.Equal("active", (await FindAsync(client)).Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_NeverSuspends_WhenThresholdIsZero()
    {
        var client = await CreateAsync("c1");

        var result = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1000)], 0, Now, Ct);

        Assert.Equal(new OutcomeResult(true, 1000, false), result);
        var found = await FindAsync(client);
        Assert.Equal("active", found.Status);
        Assert.Equal("", found.StatusReason);
    }

    [Theory]
    [InlineData("suspended")]
    [InlineData("revoked")]
    [InlineData("inactive")]
    public async Task ApplyOutcomesAsync_NeverSuspends_WhenClientIsNotActive(string status)
    {
        var client = await CreateAsync("c1", status);

        var result = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 10)], 5, Now + Minute, Ct);

        Assert.True(result.Found);
        Assert.False(result.Suspended);
        var found = await FindAsync(client);
        Assert.Equal(status, found.Status);
        Assert.Equal("", found.StatusReason);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_ReturnsNotFoundAndStoresNothing_WhenClientIsUnknown()
    {
        await CreateAsync("c1");
        string ghost = Client("ghost").EntityId;

        var result = await Store.ApplyOutcomesAsync(ghost, [new OutcomeRun(true, 10)], 5, Now, Ct);

        Assert.False(result.Found);
        Assert.False(result.Suspended);
        Assert.Null(await Store.FindByEntityIdAsync(ghost, Ct));
        Assert.Single(await Store.ListAsync("agent", Ct));
    }

    [Fact]
    public async Task ApplyOutcomesAsync_CountsOnlyThatClient_WhenSeveralExist()
    {
        var target = await CreateAsync("target");
        var bystander = await CreateAsync("bystander");

        await Store.ApplyOutcomesAsync(target.EntityId, [new OutcomeRun(true, 5)], 5, Now, Ct);

        var other = await FindAsync(bystander);
        Assert.Equal(0, other.ConsecutiveDenials);
        Assert.Equal("active", other.Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_CountsAfresh_WhenSuspendedClientIsReactivated()
    {
        var client = await CreateAsync("c1");
        Assert.True((await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 5)], 5, Now, Ct)).Suspended);
        Assert.True(await Store.TransitionAsync(client.EntityId, ["suspended"], "active", "unsuspended by an operator", Now + 1, Ct));

        var next = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1)], 5, Now + 2, Ct);
        var again = await Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 4)], 5, Now + 3, Ct);

        Assert.Equal(new OutcomeResult(true, 1, false), next);
        Assert.Equal(new OutcomeResult(true, 5, true), again);
        Assert.Equal("suspended", (await FindAsync(client)).Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_LosesNoDenialAndSuspendsOnce_When100ReportsRace()
    {
        var client = await CreateAsync("c1");

        var results = await Concurrently.RunAsync(100, i => Store.ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1)], 50, Now + i, Ct));

        AssertSerializedDenials(results, 100, 50);
        var found = await FindAsync(client);
        Assert.Equal(100, found.ConsecutiveDenials);
        Assert.Equal("suspended", found.Status);
    }

    [Fact]
    public async Task ApplyOutcomesAsync_LosesNoDenialAndSuspendsOnce_When100ReportsRaceThroughTwoHandles()
    {
        var client = await CreateAsync("c1");
        var other = Harness.OpenIndependentHandle().Clients;

        var results = await Concurrently.RunAsync(100, i => (i % 2 == 0 ? Store : other).ApplyOutcomesAsync(client.EntityId, [new OutcomeRun(true, 1)], 50, Now, Ct));

        AssertSerializedDenials(results, 100, 50);
        Assert.Equal(100, (await FindAsync(client)).ConsecutiveDenials);
    }

    /// <summary>
    /// Serialised single-denial reports see the counter go 1, 2, ..., N, each value exactly once,
    /// and only the report that took it to the threshold suspended the client.
    /// </summary>
    private static void AssertSerializedDenials(OutcomeResult[] results, int count, int threshold)
    {
        Assert.All(results, r => Assert.True(r.Found));
        Assert.Equal(Enumerable.Range(1, count), results.Select(r => r.ConsecutiveDenials).Order());
        var suspender = Assert.Single(results, r => r.Suspended);
        Assert.Equal(threshold, suspender.ConsecutiveDenials);
    }
}
