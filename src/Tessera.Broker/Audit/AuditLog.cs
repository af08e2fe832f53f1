using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Metrics;
using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary>
/// Durable audit with group commit. Requests hand their events to one writer through a bounded
/// channel; the writer appends everything waiting as one transaction (one fsync), then
/// completes each request. A request's response is sent only after its batch committed, yet
/// many requests share one commit. A full channel makes callers wait (back-pressure), never grow.
/// </summary>
public sealed partial class AuditLog : IAsyncDisposable
{
    private const int MaxBatch = 512;

    private readonly Channel<Pending> _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly IAuditStore _store;
    private readonly AuditCheckpointer _checkpointer;
    private readonly BrokerMetrics _metrics;
    private readonly ILogger<AuditLog> _logger;
    private readonly int _checkpointInterval;
    private readonly Task _writer;
    private long _count;

    /// <summary>Starts the writer.</summary>
    public AuditLog(IAuditStore store, AuditCheckpointer checkpointer, BrokerMetrics metrics, IOptions<BrokerOptions> options, ILogger<AuditLog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _checkpointer = checkpointer;
        _metrics = metrics;
        _logger = logger;
        _checkpointInterval = options.Value.AuditCheckpointInterval;
        _count = store.CountAsync(CancellationToken.None).GetAwaiter().GetResult();
        metrics.AuditEventsLoaded.Set(_count);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Events committed so far (loaded at start, then counted).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Records events and returns once they are committed.</summary>
    /// <exception cref="AuditUnavailableException">The events could not be made durable.</exception>
    public async Task RecordAsync(AuditEventDraft first, AuditEventDraft? second = null, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(first, second);
        if (!_channel.Writer.TryWrite(pending))
        {
            try
            {
                await _channel.Writer.WriteAsync(pending, cancellationToken);
            }
            catch (ChannelClosedException ex)
            {
                throw new AuditUnavailableException("the audit log is shut down", ex);
            }
        }

        await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var drafts = new List<AuditEventDraft>(MaxBatch * 2);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            drafts.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
                drafts.Add(item.First);
                if (item.Second is not null)
                {
                    drafts.Add(item.Second);
                }
            }

            try
            {
                long started = Stopwatch.GetTimestamp();
                var stored = await _store.AppendAsync(drafts, CancellationToken.None);
                _metrics.AuditWriteDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                long before = Interlocked.Read(ref _count);
                long after = Interlocked.Add(ref _count, stored.Count);
                foreach (var item in batch)
                {
                    item.Completion.TrySetResult();
                }

                foreach (var e in stored)
                {
                    _metrics.AuditEvents.WithLabels(e.EventType).Inc();
                }

                if (stored.Count > 0 && before / _checkpointInterval != after / _checkpointInterval)
                {
                    await _checkpointer.SignAsync(stored[^1], CancellationToken.None);
                }
            }
#pragma warning disable CA1031 // The writer must survive any storage failure and report it to every waiting request.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogAppendFailed(_logger, batch.Count, ex);
                var failure = new AuditUnavailableException("the audit event could not be written", ex);
                foreach (var item in batch)
                {
                    item.Completion.TrySetException(failure);
                }
            }
        }
    }

    /// <summary>Stops accepting events and waits until every accepted one is written.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _writer;
        try
        {
            // A checkpoint at shutdown: the last events are covered even between intervals.
            await _checkpointer.SignHeadAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // Shutdown must finish; a missing final checkpoint is logged, not fatal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogAppendFailed(_logger, 0, ex);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Audit append of {Count} requests failed")]
    private static partial void LogAppendFailed(ILogger logger, int count, Exception exception);

    private sealed class Pending(AuditEventDraft first, AuditEventDraft? second)
    {
        public AuditEventDraft First { get; } = first;

        public AuditEventDraft? Second { get; } = second;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
