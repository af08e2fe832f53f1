using Npgsql;
using Tessera.Storage.Keys;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Hears what any replica commits: one connection kept in <c>LISTEN</c> on the channels that
/// revocation appends and key ring changes notify inside their transactions (PostgreSQL delivers
/// a notification at commit, never for a rollback). Owned by its <see cref="PostgreSqlDatabase"/>.
/// A lost connection is re-opened with back-off, and every signal fires once it is back, because
/// notifications sent meanwhile were lost.
/// </summary>
#pragma warning disable CA1001 // Not IDisposable on purpose: its owning database stops it (StopAsync disposes _stop); a DI container must not.
public sealed class PostgreSqlChangeListener
#pragma warning restore CA1001
{
    /// <summary>The channel of revocation appends.</summary>
    internal const string RevocationChannel = "tessera_revocations";

    /// <summary>The channel of key ring changes.</summary>
    internal const string KeyRingChannel = "tessera_key_rings";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private readonly Signal _revocations = new();
    private readonly Signal _keyRings = new();

    internal PostgreSqlChangeListener(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Revocations committed by any replica.</summary>
    public IRevocationChangeSignal Revocations => _revocations;

    /// <summary>Key ring changes committed by any replica.</summary>
    public IKeyRingChangeSignal KeyRings => _keyRings;

    /// <summary>Completes once the first <c>LISTEN</c> is in place: every commit after it is heard.</summary>
    public Task Listening => _listening.Task;

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(token);
                connection.Notification += (_, e) => (e.Channel == KeyRingChannel ? _keyRings : _revocations).Fire();
                await using (var listen = new NpgsqlCommand($"LISTEN {RevocationChannel}; LISTEN {KeyRingChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(token);
                }

                backoff = TimeSpan.FromMilliseconds(100);

                // Whatever was committed while no connection listened is read now.
                _revocations.Fire();
                _keyRings.Fire();
                _listening.TrySetResult();
                while (true)
                {
                    // A connection cut without a reset (a failed-over server, a dropped NAT entry) would
                    // wait forever in silence: a query on a quiet line proves it alive or throws.
                    if (!await connection.WaitAsync(Liveness, token))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(token);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Any failure of the listening connection: re-open it after a pause, for the life of the process.
            catch (Exception)
#pragma warning restore CA1031
            {
                try
                {
                    await Task.Delay(backoff, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Closes the listening connection; the database that owns this listener calls it when disposed.</summary>
    internal async ValueTask StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private sealed class Signal : IRevocationChangeSignal, IKeyRingChangeSignal
    {
        private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Changed => Volatile.Read(ref _current).Task;

        public void Fire() =>
            Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
