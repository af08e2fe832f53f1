using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Diagnostics;

namespace Tessera.AspNetCore.Reporting;

/// <summary>
/// Sends verification outcomes to the broker's audit in the background. <see cref="Report"/>
/// never waits: it coalesces an outcome into the last buffered event when identical (agent,
/// outcome, code, method, route), else appends it, else (buffer full) drops and counts it. A
/// loop, started by the first outcome, posts the buffer every <c>FlushInterval</c> (at once when
/// a batch is full) with HTTP Basic platform credentials, retries a refused report a bounded
/// number of times with backoff, then drops and counts it. Disposing sends what is left, within
/// <c>ShutdownTimeout</c>. Counters: <c>tessera.verifier.reports_sent</c> and
/// <c>tessera.verifier.reports_dropped</c> (outcomes, meter <c>Tessera.AspNetCore</c>).
/// </summary>
public sealed partial class EnforcementReporter : IAsyncDisposable, IDisposable
{
    // The broker's bound for one event's count; a longer run starts a new event.
    private const int MaxCount = 1_000_000;

    private static readonly Counter<long> SentCounter = TesseraMeter.Instance.CreateCounter<long>(
        "tessera.verifier.reports_sent", unit: "{outcome}", description: "Verification outcomes the broker accepted in enforcement reports.");

    private static readonly Counter<long> DroppedCounter = TesseraMeter.Instance.CreateCounter<long>(
        "tessera.verifier.reports_dropped", unit: "{outcome}", description: "Verification outcomes dropped: buffer full, or the broker did not accept them after retries.");

    private readonly EnforcementReportSender _sender;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _retryBackoff;
    private readonly TimeSpan _shutdownTimeout;
    private readonly int _maxBatch;
    private readonly int _maxBuffered;
    private readonly int _maxRetries;
    private readonly Lock _gate = new();
    private readonly List<EnforcementEvent> _buffer = [];

    // _stop ends the waits (interval, backoff) at shutdown; _abort ends sends once its deadline passed.
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private TaskCompletionSource _wake = NewSignal();
    private Task? _loop;
    private bool _closed;
    private bool _overflowing;
    private long _sent;
    private long _dropped;

    /// <summary>Creates a reporter posting to <paramref name="endpoint"/> through <paramref name="http"/> (not owned).</summary>
    /// <exception cref="ArgumentException">The options lack a client id or secret.</exception>
    public EnforcementReporter(HttpClient http, Uri endpoint, EnforcementReportingOptions options, TimeProvider time, ILogger logger)
        : this(http, endpoint, options, options?.ClientId, options?.ClientSecret, time, logger)
    {
    }

    /// <summary>Creates a reporter that sends <paramref name="clientId"/> and <paramref name="clientSecret"/> (the scheme's platform credentials).</summary>
    internal EnforcementReporter(HttpClient http, Uri endpoint, EnforcementReportingOptions options, string? clientId, string? clientSecret, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(clientSecret))
        {
            throw new ArgumentException("Tessera reporting needs both ClientId and ClientSecret", nameof(options));
        }

        _sender = new EnforcementReportSender(http, endpoint, clientId, clientSecret, options.RequestTimeout, time);
        _time = time;
        _logger = logger;
        _flushInterval = options.FlushInterval;
        _retryBackoff = options.RetryBackoff;
        _shutdownTimeout = options.ShutdownTimeout;
        _maxBatch = Math.Clamp(options.MaxBatch, 1, EnforcementReportingOptions.MaxEventsPerReport);
        _maxBuffered = Math.Max(1, options.MaxBuffered);
        _maxRetries = Math.Max(0, options.MaxRetries);
        string shown = _sender.ShownEndpoint;
        LogStarted(logger, shown, _flushInterval);
    }

    /// <summary>Outcomes the broker accepted.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Outcomes dropped: buffer full, refused or undeliverable after retries, or reported after disposal.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events (runs of identical outcomes) waiting to be sent.</summary>
    public int Buffered
    {
        get
        {
            lock (_gate)
            {
                return _buffer.Count;
            }
        }
    }

    /// <summary>
    /// Queues an outcome for the next report. Never blocks on I/O and never throws for a full
    /// buffer. Values the broker would refuse are made acceptable (method upper-cased, else
    /// <c>OTHER</c>; route cut to <see cref="EnforcementOutcome.MaxRouteLength"/>) or, for an agent id, dropped and
    /// counted, so one odd request cannot spoil a whole report.
    /// </summary>
    /// <exception cref="ArgumentException">The agent, method or route is missing.</exception>
    public void Report(EnforcementOutcome outcome)
    {
        if (outcome.AgentId is null || outcome.Method is null || outcome.Route is null)
        {
            throw new ArgumentException("An outcome needs an agent, a method and a route", nameof(outcome));
        }

        outcome = outcome.ForWire();

        bool dropped = false;
        bool firstDrop = false;
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            var events = CollectionsMarshal.AsSpan(_buffer);
            if (_closed)
            {
                dropped = true;
            }
            else if (events.Length > 0 && events[^1].Count < MaxCount && events[^1].Outcome == outcome)
            {
                events[^1].Count++;
            }
            else if (events.Length >= _maxBuffered || !outcome.IsAcceptable())
            {
                dropped = true;
                firstDrop = events.Length >= _maxBuffered && !_overflowing;
                _overflowing |= firstDrop;
            }
            else
            {
                _buffer.Add(new EnforcementEvent(outcome, _time.GetUtcNow().ToUnixTimeMilliseconds()));
                if (_buffer.Count == _maxBatch)
                {
                    wake = _wake;
                }
            }

            if (!_closed)
            {
                _loop ??= Task.Run(RunAsync);
            }
        }

        if (dropped)
        {
            CountDropped(1);
            if (firstDrop)
            {
                LogOverflow(_logger, _maxBuffered);
            }
        }

        wake?.TrySetResult();
    }

    /// <summary>Sends what is buffered (within <c>ShutdownTimeout</c>) and stops. Later outcomes are dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            loop = _loop;
        }

        await _stop.CancelAsync();
        if (loop is not null)
        {
            using var deadline = new CancellationTokenSource(_shutdownTimeout, _time);
            using (deadline.Token.Register(static abort => ((CancellationTokenSource)abort!).Cancel(), _abort))
            {
                await loop;
            }
        }

        _stop.Dispose();
        _abort.Dispose();
        LogStopped(_logger, Sent, Dropped);
    }

    /// <summary>As <see cref="DisposeAsync"/>, blocking for at most about <c>ShutdownTimeout</c>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        bool stopping = false;
        while (!stopping)
        {
            try
            {
                stopping = !await WaitAsync();
                while (TakeBatch() is { } batch)
                {
                    await DeliverAsync(batch);
                }
            }
#pragma warning disable CA1031 // The loop outlives any single failure; a lost batch is counted where it is lost.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopError(_logger, ex.GetType().Name);
            }
        }
    }

    /// <summary>Waits for the interval or a full batch; false once shutting down.</summary>
    private async Task<bool> WaitAsync()
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            if (_buffer.Count >= _maxBatch)
            {
                return !_stop.IsCancellationRequested;
            }

            if (_wake.Task.IsCompleted)
            {
                _wake = NewSignal();
            }

            wake = _wake;
        }

        using var delay = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        await Task.WhenAny(Task.Delay(_flushInterval, _time, delay.Token), wake.Task);
        await delay.CancelAsync();
        return !_stop.IsCancellationRequested;
    }

    private EnforcementEvent[]? TakeBatch()
    {
        lock (_gate)
        {
            if (_buffer.Count == 0)
            {
                return null;
            }

            int count = Math.Min(_buffer.Count, _maxBatch);
            var batch = CollectionsMarshal.AsSpan(_buffer)[..count].ToArray();
            _buffer.RemoveRange(0, count);
            _overflowing = false;
            return batch;
        }
    }

    private async Task DeliverAsync(EnforcementEvent[] batch)
    {
        long outcomes = 0;
        foreach (var e in batch)
        {
            outcomes += e.Count;
        }

        byte[] body = EnforcementEvent.Serialize(batch);
        string failure;
        for (int attempt = 0; ; attempt++)
        {
            var result = await _sender.SendAsync(body, _abort.Token);
            failure = result.Failure;
            if (result.Sent)
            {
                Interlocked.Add(ref _sent, outcomes);
                SentCounter.Add(outcomes);
                return;
            }

            LogAttemptFailed(_logger, attempt + 1, failure);
            if (!result.Retry || attempt >= _maxRetries || _stop.IsCancellationRequested)
            {
                break;
            }

            // Doubling from RetryBackoff, at least what a 429's Retry-After asks, at most 30 s.
            long ticks = Math.Max(_retryBackoff.Ticks << Math.Min(attempt, 16), result.RetryAfter.Ticks);
            var backoff = TimeSpan.FromTicks(Math.Min(ticks, TimeSpan.TicksPerSecond * 30));
            try
            {
                await Task.Delay(backoff, _time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: one last attempt, bounded by the shutdown deadline.
            }
        }

        CountDropped(outcomes);
        LogDropped(_logger, outcomes, batch.Length, failure);
    }

    private void CountDropped(long outcomes)
    {
        Interlocked.Add(ref _dropped, outcomes);
        DroppedCounter.Add(outcomes);
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Enforcement reporting to {Endpoint} every {FlushInterval}")]
    private static partial void LogStarted(ILogger logger, string endpoint, TimeSpan flushInterval);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Debug, Message = "Enforcement report attempt {Attempt} failed ({Failure})")]
    private static partial void LogAttemptFailed(ILogger logger, int attempt, string failure);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Dropped {Outcomes} verification outcomes ({Events} events) the broker did not accept ({Failure}); a 401 means the platform's ClientId/ClientSecret are wrong")]
    private static partial void LogDropped(ILogger logger, long outcomes, int events, string failure);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Enforcement reporting buffer full ({MaxBuffered} events); new outcomes are dropped until the broker catches up")]
    private static partial void LogOverflow(ILogger logger, int maxBuffered);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Warning, Message = "Enforcement reporting loop error ({Error}); continuing")]
    private static partial void LogLoopError(ILogger logger, string error);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "Enforcement reporting stopped: {Sent} outcomes sent, {Dropped} dropped")]
    private static partial void LogStopped(ILogger logger, long sent, long dropped);
}
