using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Storage.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// When the signing keys live in the database the replicas share: takes a ring another replica
/// changed (a rotation, a prune, the profile ring's creation) as soon as the store signals it,
/// so every replica signs with and publishes the same keys, and tells this replica's feed
/// subscribers to refetch the JWKS. A slow poll stands behind the signal.
/// </summary>
internal sealed partial class KeyRingFollower(KeyRotation rotation, IKeyRingChangeSignal signal, ILogger<KeyRingFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The store is read synchronously below: do not hold up the host's start with it.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var changed = signal.Changed;
            try
            {
                rotation.Reload();
            }
            catch (InvalidOperationException ex)
            {
                // A ring that does not open as the version it is stored at, or a version below one
                // already seen: someone wrote to the database. Keep signing with the keys we have.
                LogRingRefused(logger, ex.Message);
            }
#pragma warning disable CA1031 // The store failing once must not stop following it; the next signal or poll retries.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReloadFailed(logger, ex);
            }

            await Task.WhenAny(changed, Task.Delay(Poll, stoppingToken));
        }
    }

    [LoggerMessage(EventId = 2103, Level = LogLevel.Critical, Message = "Refused the stored signing key ring and kept the current keys: {Reason}")]
    private static partial void LogRingRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Reloading signing keys changed by other brokers failed; will retry")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
