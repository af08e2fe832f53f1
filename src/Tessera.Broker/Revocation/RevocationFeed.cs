namespace Tessera.Broker.Revocation;

/// <summary>
/// Wakes revocation stream subscribers: every committed revocation, every key change and every
/// change of a platform's scopes file completes the current signal and replaces it. Subscribers
/// capture the signal before reading the store, so nothing committed between a read and a wait is missed.
/// </summary>
public sealed class RevocationFeed
{
    /// <summary>Most route changes remembered; a stream that falls further behind misses the oldest (the verifiers' periodic poll covers them).</summary>
    internal const int MaxRouteChanges = 256;

    private readonly Lock _routesGate = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _keysVersion;
    private Func<long?>? _sharedKeysVersion;
    private RouteChange[] _routeChanges = [];
    private long _routesSequence;

    /// <summary>Completes when something new was committed after this property was read.</summary>
    public Task Changed => Volatile.Read(ref _signal).Task;

    /// <summary>
    /// Changes on every key change: the stored rings' version when the keys are shared through
    /// the database (the same on every replica, and across restarts), else a counter of this
    /// process's key changes.
    /// </summary>
    public long KeysVersion => Volatile.Read(ref _sharedKeysVersion)?.Invoke() ?? Interlocked.Read(ref _keysVersion);

    /// <summary>A counter of this process's route changes (<see cref="NotifyRoutesChanged"/>); 0 before the first.</summary>
    public long RoutesSequence => Interlocked.Read(ref _routesSequence);

    /// <summary>Takes <c>keys_version</c> from the shared key rings (set once, at start, when the keys live in the database).</summary>
    public void UseSharedKeysVersion(Func<long?> version) => Volatile.Write(ref _sharedKeysVersion, version);

    /// <summary>Signals a new revocation.</summary>
    public void NotifyRevocation() => Interlocked.Exchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Signals a key rotation: subscribers refetch the JWKS at once.</summary>
    public void NotifyKeysChanged()
    {
        Interlocked.Increment(ref _keysVersion);
        NotifyRevocation();
    }

    /// <summary>
    /// Signals that the scopes file of <paramref name="platformId"/> changed (now at
    /// <paramref name="version"/>), after the change was stored: subscribers get <c>event: routes</c>
    /// and that platform's verifier refetches its routes at once.
    /// </summary>
    public void NotifyRoutesChanged(string platformId, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        lock (_routesGate)
        {
            long sequence = _routesSequence + 1;
            var kept = _routeChanges.Length < MaxRouteChanges ? _routeChanges : _routeChanges[1..];
            Volatile.Write(ref _routeChanges, [.. kept, new RouteChange(sequence, platformId, version)]);
            Interlocked.Exchange(ref _routesSequence, sequence);
        }

        NotifyRevocation();
    }

    /// <summary>The remembered route changes after <paramref name="sequence"/>, oldest first.</summary>
    internal ArraySegment<RouteChange> RouteChangesAfter(long sequence)
    {
        var changes = Volatile.Read(ref _routeChanges);
        int first = changes.Length;
        while (first > 0 && changes[first - 1].Sequence > sequence)
        {
            first--;
        }

        return new ArraySegment<RouteChange>(changes, first, changes.Length - first);
    }

    /// <summary>One change of a platform's scopes file.</summary>
    internal readonly record struct RouteChange(long Sequence, string PlatformId, long Version);
}
