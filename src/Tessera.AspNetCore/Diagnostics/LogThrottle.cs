namespace Tessera.AspNetCore.Diagnostics;

/// <summary>
/// Lets one log line through per interval, so a refusal repeated at thousands of requests a second
/// is logged about once a second, not per request. Lock-free: one compare-exchange on a tick count.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private long _nextTicks = long.MinValue;

    /// <summary>True for the first call of each interval.</summary>
    public bool TryEnter()
    {
        long now = time.GetUtcNow().UtcTicks;
        long next = Interlocked.Read(ref _nextTicks);
        return now >= next && Interlocked.CompareExchange(ref _nextTicks, now + interval.Ticks, next) == next;
    }
}
