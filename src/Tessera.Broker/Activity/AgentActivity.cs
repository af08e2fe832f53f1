using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Storage.Agents;

namespace Tessera.Broker.Activity;

/// <summary>
/// When each agent was last seen: the issuing paths call <see cref="Seen"/> (a dictionary write,
/// no I/O), and every <see cref="Interval"/> the times gathered since the last flush are written
/// in one batch (<see cref="IAgentInventory.RecordSeenAsync"/>), and once more when the broker
/// stops. The inventory's <c>last_seen_at</c> therefore trails by at most one interval, and a
/// thousand issuances a second cost one write every fifteen seconds, not a thousand.
/// </summary>
public sealed partial class AgentActivity(IAgentInventory inventory, TimeProvider time, ILogger<AgentActivity> logger) : BackgroundService
{
    /// <summary>How often the gathered times are written.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private ConcurrentDictionary<string, long> pending = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="agentId"/> was issued a token now.</summary>
    public void Seen(string agentId) => Volatile.Read(ref pending)[agentId] = time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Writes what was gathered since the last flush. A failure is logged and the times dropped: they are a convenience, and the next issuance records them again.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        // A Seen racing the swap may land in the old dictionary after it was read and be lost; the
        // agent's next issuance records it again.
        var batch = Interlocked.Exchange(ref pending, new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        if (batch.IsEmpty)
        {
            return;
        }

        var seen = new List<AgentSeen>(batch.Count);
        foreach (var (agentId, at) in batch)
        {
            seen.Add(new AgentSeen(agentId, at));
        }

        try
        {
            await inventory.RecordSeenAsync(seen, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlushFailed(logger, seen.Count, ex.GetType().Name);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not record when {Count} agent(s) were last seen ({Error}); they are recorded again at their next token")]
    private static partial void LogFlushFailed(ILogger logger, int count, string error);
}
