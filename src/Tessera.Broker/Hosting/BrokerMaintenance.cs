using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Broker.Revocation;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;

namespace Tessera.Broker.Hosting;

/// <summary>Once a minute: drops expired nonces, used client-assertion ids, launch tokens (a day after expiry) and revocations whose tokens have all expired.</summary>
internal sealed partial class BrokerMaintenance(
    INonceStore nonces, ILaunchTokenStore launchTokens, Tessera.Storage.Clients.IAssertionReplayStore assertions, RevocationList revocations, Keys.KeyRotation keys, TimeProvider time, ILogger<BrokerMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    long now = time.GetUtcNow().ToUnixTimeMilliseconds();
                    await nonces.PurgeExpiredAsync(now, stoppingToken);
                    await launchTokens.PurgeExpiredAsync(now - (long)TimeSpan.FromDays(1).TotalMilliseconds, stoppingToken);
                    await assertions.PurgeExpiredAsync(now, stoppingToken);
                    await revocations.PurgeAsync(stoppingToken);
                    keys.RotateIfDue();
                    keys.Prune();
                }
#pragma warning disable CA1031 // Housekeeping failing once must not stop the broker; it retries next minute.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogPurgeFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Housekeeping purge failed; will retry")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
