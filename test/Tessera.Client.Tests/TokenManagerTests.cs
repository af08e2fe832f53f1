using Microsoft.Extensions.Time.Testing;

namespace Tessera.Client.Tests;

/// <summary>The per-audience single-flight cache, against a scripted mint and a fake clock.</summary>
public sealed class TokenManagerTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(100);

    // 100 s tokens: 80 % is 80 s, 30 s before expiry is 70 s; the earlier wins.
    private static readonly TimeSpan DueAfter = TimeSpan.FromSeconds(70);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData("one hour: 80 %", 3600, 2880)]
    [InlineData("five minutes: 80 %", 300, 240)]
    [InlineData("100 s: 30 s before expiry", 100, 70)]
    [InlineData("one minute: 30 s before expiry", 60, 30)]
    [InlineData("40 s: not before half the lifetime", 40, 20)]
    [InlineData("3 s: half the lifetime", 3, 1.5)]
    public void RefreshAt_IsEightyPercentOrThirtySecondsBeforeExpiry_WhicheverIsEarlier(string name, double lifetimeSeconds, double refreshAfterSeconds)
    {
        var at = _time.GetUtcNow();
        var token = new IssuedToken("t", at, at.AddSeconds(lifetimeSeconds));
        Assert.True(at.AddSeconds(refreshAfterSeconds) == token.RefreshAt, name);
    }

    [Fact]
    public async Task GetAsync_ReturnsCachedToken_WhenNotDue()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);

        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        _time.Advance(DueAfter - TimeSpan.FromMilliseconds(1));
        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal(1, tokens.Mints);
    }

    [Fact]
    public async Task GetAsync_KeepsOneTokenPerAudience()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);

        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal("b-2", await tokens.GetAsync("b", default));
        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task GetAsync_MintsOnce_When1000CallersFindNoToken()
    {
        var mint = new ScriptedMint(_time) { Gate = new() };
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);

        var calls = Enumerable.Range(0, 1000).Select(_ => Task.Run(() => tokens.GetAsync("a", default).AsTask())).ToArray();
        await WaitUntilAsync(() => mint.Started == 1);
        await Task.Delay(50);
        Assert.All(calls, c => Assert.False(c.IsCompleted));
        mint.Gate.SetResult();

        Assert.All(await Task.WhenAll(calls), t => Assert.Equal("a-1", t));
        Assert.Equal(1, tokens.Mints);
        Assert.Equal(1, mint.Started);
    }

    [Fact]
    public async Task GetAsync_ReturnsCurrentAndRefreshesInBackground_WhenDueAndMintDoesNotRevoke()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        await tokens.GetAsync("a", default);
        _time.Advance(DueAfter);
        mint.Gate = new();

        var calls = Enumerable.Range(0, 100).Select(_ => tokens.GetAsync("a", default)).ToArray();

        // Answered at once, without waiting for the mint.
        Assert.All(calls, c => Assert.True(c.IsCompletedSuccessfully));
        Assert.All(calls, c => Assert.Equal("a-1", c.GetAwaiter().GetResult()));
        Assert.Equal(2, tokens.Mints);
        mint.Gate.SetResult();
        await WaitUntilAsync(() => tokens.GetAsync("a", default).AsTask().Result == "a-2");
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task GetAsync_WaitsForSuccessor_WhenDueAndMintRevokesPrevious()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: true, _time);
        tokens.Seed("", new IssuedToken("registered", _time.GetUtcNow(), _time.GetUtcNow() + Lifetime));
        _time.Advance(DueAfter);
        mint.Gate = new();

        var calls = Enumerable.Range(0, 100).Select(_ => tokens.GetAsync("", default).AsTask()).ToArray();
        await WaitUntilAsync(() => mint.Started == 1);
        Assert.All(calls, c => Assert.False(c.IsCompleted));
        mint.Gate.SetResult();

        Assert.All(await Task.WhenAll(calls), t => Assert.Equal("-1", t));
        Assert.Equal(1, tokens.Mints);
        Assert.Equal("registered", Assert.Single(mint.Bases)!.Token);
    }

    [Fact]
    public async Task GetAsync_RenewsFromTheNewestToken_EachTime()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: true, _time);
        tokens.Seed("", new IssuedToken("registered", _time.GetUtcNow(), _time.GetUtcNow() + Lifetime));
        _time.Advance(DueAfter);
        Assert.Equal("-1", await tokens.GetAsync("", default));

        // The renewed token falls due in turn: the next renewal presents it, not the revoked original.
        _time.Advance(DueAfter);
        Assert.Equal("-2", await tokens.GetAsync("", default));

        Assert.Equal(["registered", "-1"], mint.Bases.Select(b => b!.Token));
    }

    [Fact]
    public async Task GetAsync_Waits_WhenTokenIsAboutToExpire()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        await tokens.GetAsync("a", default);
        _time.Advance(Lifetime - TimeSpan.FromMilliseconds(500));
        mint.Gate = new();

        var call = tokens.GetAsync("a", default).AsTask();
        Assert.False(call.IsCompleted);
        mint.Gate.SetResult();
        Assert.Equal("a-2", await call);
    }

    [Fact]
    public async Task GetAsync_GivesEveryWaiterTheFailure_ThenRecoversOnTheNextCall()
    {
        var mint = new ScriptedMint(_time) { Gate = new(), Failure = new TesseraException("down", "temporarily_unavailable", 503, "req-1", null, null, null) };
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);

        var calls = Enumerable.Range(0, 10).Select(_ => tokens.GetAsync("a", default).AsTask()).ToArray();
        Assert.Equal(1, mint.Started);
        mint.Gate.SetResult();
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<TesseraException>(() => call);
            Assert.Equal("temporarily_unavailable", ex.ErrorCode);
        }

        Assert.Equal(1, tokens.Mints);
        mint.Failure = null;
        Assert.Equal("a-2", await tokens.GetAsync("a", default));
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task GetAsync_KeepsCurrentToken_AndPausesBeforeRetrying_WhenBackgroundRefreshFails()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        await tokens.GetAsync("a", default);
        _time.Advance(DueAfter);
        mint.Failure = new TesseraException("down");

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal("a-1", await tokens.GetAsync("a", default));
        }

        Assert.Equal(2, tokens.Mints);
        _time.Advance(TimeSpan.FromSeconds(1));
        mint.Failure = null;
        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal(3, tokens.Mints);
        Assert.Equal("a-3", await tokens.GetAsync("a", default));
    }

    [Fact]
    public async Task GetAsync_WaitsOutRetryAfter_WhenBackgroundRefreshIsRateLimited()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        await tokens.GetAsync("a", default);
        _time.Advance(DueAfter);
        mint.Failure = new TesseraRateLimitedException("slow down", "rate_limited_agent", 429, null, null, null, TimeSpan.FromSeconds(10));

        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal(2, tokens.Mints);

        _time.Advance(TimeSpan.FromSeconds(1));
        mint.Failure = null;
        Assert.Equal("a-1", await tokens.GetAsync("a", default));
        Assert.Equal("a-3", await tokens.GetAsync("a", default));
    }

    [Fact]
    public async Task GetAsync_DoesNotPause_WhenTheCurrentTokenIsNoLongerUsable()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        await tokens.GetAsync("a", default);
        _time.Advance(DueAfter);
        mint.Failure = new TesseraRateLimitedException("slow down", "rate_limited_agent", 429, null, null, null, TimeSpan.FromMinutes(5));
        Assert.Equal("a-1", await tokens.GetAsync("a", default));

        _time.Advance(Lifetime - DueAfter);
        mint.Failure = null;
        Assert.Equal("a-3", await tokens.GetAsync("a", default));
    }

    [Fact]
    public async Task GetAsync_CancelledWaiter_LeavesTheMintToTheOthers()
    {
        var mint = new ScriptedMint(_time) { Gate = new() };
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        using var cancel = new CancellationTokenSource();

        var cancelled = tokens.GetAsync("a", cancel.Token).AsTask();
        var patient = tokens.GetAsync("a", default).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        mint.Gate.SetResult();

        Assert.Equal("a-1", await patient);
        Assert.Equal(1, tokens.Mints);
    }

    [Fact]
    public async Task RefreshAsync_MintsOnce_WhenManyCallersReportTheSameToken()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: true, _time);
        tokens.Seed("", new IssuedToken("registered", _time.GetUtcNow(), _time.GetUtcNow() + Lifetime));
        mint.Gate = new();

        var calls = Enumerable.Range(0, 100).Select(_ => Task.Run(() => tokens.RefreshAsync("", "registered", default))).ToArray();
        await WaitUntilAsync(() => mint.Started == 1);
        mint.Gate.SetResult();

        Assert.All(await Task.WhenAll(calls), t => Assert.Equal("-1", t));
        Assert.Equal(1, tokens.Mints);
        Assert.Equal("registered", Assert.Single(mint.Bases)!.Token);
    }

    [Fact]
    public async Task RefreshAsync_ReturnsTheReplacementWithoutMinting_WhenTheRejectedTokenWasAlreadyReplaced()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: false, _time);
        string first = await tokens.GetAsync("a", default);
        string second = await tokens.RefreshAsync("a", first, default);

        Assert.Equal("a-2", second);
        Assert.Equal("a-2", await tokens.RefreshAsync("a", first, default));
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task RefreshAsync_Throws_AndTheTokenStaysDropped_WhenTheMintFails()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: true, _time);
        tokens.Seed("", new IssuedToken("registered", _time.GetUtcNow(), _time.GetUtcNow() + Lifetime));
        mint.Failure = new TesseraRevokedException("revoked", "agent_revoked", 403, null, null, null);

        await Assert.ThrowsAsync<TesseraRevokedException>(() => tokens.RefreshAsync("", "registered", default));

        // The rejected token is never handed out again.
        await Assert.ThrowsAsync<TesseraRevokedException>(() => tokens.GetAsync("", default).AsTask());
        Assert.Equal(2, tokens.Mints);
    }

    [Fact]
    public async Task Forget_DropsTheToken_SoTheNextMintHasNoPredecessor()
    {
        var mint = new ScriptedMint(_time);
        var tokens = new TokenManager(mint.MintAsync, mintRevokesPrevious: true, _time);
        tokens.Seed("", new IssuedToken("registered", _time.GetUtcNow(), _time.GetUtcNow() + Lifetime));

        tokens.Forget("");
        await tokens.GetAsync("", default);

        Assert.Null(Assert.Single(mint.Bases));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 10 s");
            await Task.Delay(5);
        }
    }

    /// <summary>Mints "audience-n" tokens of <see cref="Lifetime"/>, optionally held at a gate or failing.</summary>
    private sealed class ScriptedMint(FakeTimeProvider time)
    {
        private int _started;

        public TaskCompletionSource? Gate { get; set; }

        public Exception? Failure { get; set; }

        public int Started => Volatile.Read(ref _started);

        public List<IssuedToken?> Bases { get; } = [];

        public async Task<IssuedToken> MintAsync(string audience, IssuedToken? current, CancellationToken cancellationToken)
        {
            int n = Interlocked.Increment(ref _started);
            lock (Bases)
            {
                Bases.Add(current);
            }

            if (Gate is { } gate)
            {
                await gate.Task;
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            var now = time.GetUtcNow();
            return new IssuedToken($"{audience}-{n}", now, now + Lifetime);
        }
    }
}
