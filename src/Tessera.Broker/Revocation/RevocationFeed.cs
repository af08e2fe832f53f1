namespace Tessera.Broker.Revocation;

/// <summary>
/// Wakes revocation stream subscribers: every committed revocation and every key change
/// completes the current signal and replaces it. Subscribers capture the signal before reading
/// the store, so nothing committed between a read and a wait is missed.
/// </summary>
public sealed class RevocationFeed
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _keysVersion;
    private Func<long?>? _sharedKeysVersion;

    /// <summary>Completes when something new was committed after this property was read.</summary>
    public Task Changed => Volatile.Read(ref _signal).Task;

    /// <summary>
    /// Changes on every key change: the stored rings' version when the keys are shared through
    /// the database (the same on every replica, and across restarts), else a counter of this
    /// process's key changes.
    /// </summary>
    public long KeysVersion => Volatile.Read(ref _sharedKeysVersion)?.Invoke() ?? Interlocked.Read(ref _keysVersion);

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
}
