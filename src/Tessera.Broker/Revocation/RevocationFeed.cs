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

    /// <summary>Completes when something new was committed after this property was read.</summary>
    public Task Changed => Volatile.Read(ref _signal).Task;

    /// <summary>Incremented on every key rotation.</summary>
    public long KeysVersion => Interlocked.Read(ref _keysVersion);

    /// <summary>Signals a new revocation.</summary>
    public void NotifyRevocation() => Interlocked.Exchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Signals a key rotation: subscribers refetch the JWKS at once.</summary>
    public void NotifyKeysChanged()
    {
        Interlocked.Increment(ref _keysVersion);
        NotifyRevocation();
    }
}
