using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// When several brokers share one store: brings revocations committed by the others into this
/// broker's live set, and so to its checks and its feed subscribers, as soon as the store signals
/// them. A slow poll stands behind the signal for the moments it cannot be heard.
/// </summary>
internal sealed partial class RevocationFollower(RevocationList list, IRevocationChangeSignal signal, ILogger<RevocationFollower> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before reading, so a commit between the read and the wait still wakes us.
            var changed = signal.Changed;
            try
            {
                await list.CatchUpAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The store failing once must not stop following it; the next signal or poll retries.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCatchUpFailed(logger, ex);
            }

            await Task.WhenAny(changed, Task.Delay(Poll, stoppingToken));
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Reading revocations committed by other brokers failed; will retry")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);
}
