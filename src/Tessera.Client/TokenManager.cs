using System.Collections.Concurrent;

namespace Tessera.Client;

/// <summary>A token and when it was issued and expires (local clock).</summary>
internal sealed record IssuedToken(string Token, DateTimeOffset ReceivedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// When to refresh: at 80 % of the lifetime or 30 s before expiry, whichever is earlier, but
    /// never before half of the lifetime (so a very short token is not refreshed on every call).
    /// </summary>
    public DateTimeOffset RefreshAt
    {
        get
        {
            var lifetime = ExpiresAt - ReceivedAt;
            var at = ReceivedAt + (lifetime * 0.8);
            var early = ExpiresAt - TimeSpan.FromSeconds(30);
            if (early < at)
            {
                at = early;
            }

            var floor = ReceivedAt + (lifetime * 0.5);
            return at < floor ? floor : at;
        }
    }
}

/// <summary>
/// One cached token per audience. Refreshes are single-flight: however many callers find the
/// token due, one mint runs and all of them get its result. When the mint does not invalidate
/// the current token (a credential exchange), callers keep using the current token while the
/// refresh runs in the background; when it does (a renewal revokes its predecessor), they wait
/// for the successor instead of sending a token about to be revoked.
/// </summary>
internal sealed class TokenManager(Func<string, IssuedToken?, CancellationToken, Task<IssuedToken>> mint, bool mintRevokesPrevious, TimeProvider time)
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    // After a failed background refresh the current token is still good: wait this long (or the
    // broker's Retry-After) before trying again rather than minting on every call.
    private static readonly TimeSpan FailedRefreshPause = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Number of mints started (for diagnostics and tests).</summary>
    public int Mints => Volatile.Read(ref _mints);

    private int _mints;

    /// <summary>Installs a token obtained elsewhere (the one a registration returned).</summary>
    public void Seed(string audience, IssuedToken token) => _entries.GetOrAdd(audience, _ => new Entry()).Current = token;

    /// <summary>Drops the token of <paramref name="audience"/> for good (released): the next mint has no predecessor.</summary>
    public void Forget(string audience)
    {
        var entry = _entries.GetOrAdd(audience, _ => new Entry());
        lock (entry.Gate)
        {
            entry.Current = null;
            entry.Dropped = null;
        }
    }

    /// <summary>
    /// The token for <paramref name="audience"/>: the cached one while it is fresh; once it is due,
    /// the cached one while a background refresh runs (when minting does not revoke it), else the
    /// result of the one refresh in flight.
    /// </summary>
    public async ValueTask<string> GetAsync(string audience, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(audience, _ => new Entry());
        var current = entry.Current;
        var now = time.GetUtcNow();
        if (current is not null && now < current.RefreshAt)
        {
            return current.Token;
        }

        // Fresh enough to use while the successor is minted in the background.
        bool usable = current is not null && !mintRevokesPrevious && now < current.ExpiresAt - Margin;
        if (usable && now.UtcTicks < Volatile.Read(ref entry.RetryNotBeforeTicks))
        {
            return current!.Token;
        }

        var refresh = Start(entry, audience, current, force: false);
        if (usable)
        {
            return current!.Token;
        }

        return (await refresh.WaitAsync(cancellationToken).ConfigureAwait(false)).Token;
    }

    /// <summary>
    /// Drops <paramref name="rejected"/> (a platform refused it) and waits for its successor. Of
    /// callers reporting the same token, one mint runs; a caller reporting a token that was already
    /// replaced gets the replacement without a mint.
    /// </summary>
    public async Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(audience, _ => new Entry());
        IssuedToken? basis;
        lock (entry.Gate)
        {
            if (entry.Current is { } current && current.Token == rejected)
            {
                entry.Current = null;
                entry.Dropped = current;
            }

            basis = entry.Dropped;
        }

        var task = Start(entry, audience, basis, force: true);
        return (await task.WaitAsync(cancellationToken).ConfigureAwait(false)).Token;
    }

    private Task<IssuedToken> Start(Entry entry, string audience, IssuedToken? basis, bool force)
    {
        TaskCompletionSource<IssuedToken> source;
        IssuedToken? predecessor;
        lock (entry.Gate)
        {
            if (entry.Pending is { } pending)
            {
                return pending.Task;
            }

            // Someone else already replaced the token we found due or rejected.
            if (entry.Current is { } newer && !ReferenceEquals(newer, basis) && (force || time.GetUtcNow() < newer.RefreshAt))
            {
                return Task.FromResult(newer);
            }

            // A renewal must start from the newest token (its predecessor is already revoked), a
            // refresh after a refusal from the refused one.
            predecessor = force ? basis ?? entry.Current : entry.Current ?? basis;
            source = new TaskCompletionSource<IssuedToken>(TaskCreationOptions.RunContinuationsAsynchronously);
            entry.Pending = source;
        }

        Interlocked.Increment(ref _mints);
        _ = RunAsync(entry, audience, predecessor, source);
        return source.Task;
    }

    private async Task RunAsync(Entry entry, string audience, IssuedToken? basis, TaskCompletionSource<IssuedToken> source)
    {
        try
        {
            var token = await mint(audience, basis, CancellationToken.None).ConfigureAwait(false);
            lock (entry.Gate)
            {
                entry.Current = token;
                entry.Dropped = null;
                entry.Pending = null;
                entry.RetryNotBeforeTicks = 0;
            }

            source.SetResult(token);
        }
#pragma warning disable CA1031 // The failure is handed to every waiter; a background refresh that nobody awaits is retried on the next call.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var pause = ex is TesseraException { RetryAfter: { } asked } && asked > FailedRefreshPause ? asked : FailedRefreshPause;
            lock (entry.Gate)
            {
                entry.Pending = null;
                Volatile.Write(ref entry.RetryNotBeforeTicks, (time.GetUtcNow() + pause).UtcTicks);
            }

            source.SetException(ex);
            _ = source.Task.Exception;
        }
    }

    private sealed class Entry
    {
        public readonly Lock Gate = new();
        public volatile IssuedToken? Current;
        public IssuedToken? Dropped;
        public TaskCompletionSource<IssuedToken>? Pending;
        public long RetryNotBeforeTicks;
    }
}
