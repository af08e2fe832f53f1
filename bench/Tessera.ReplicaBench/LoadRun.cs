using System.Diagnostics;

namespace Tessera.ReplicaBench;

/// <summary>What one scenario measured: completed operations, failures and each operation's latency (ms, sorted).</summary>
internal sealed record LoadRun(long Count, long Errors, IReadOnlyList<double> Latencies, TimeSpan Duration)
{
    public double Rate => Count / Duration.TotalSeconds;

    public double P50 => Percentile(Latencies, 0.50);

    public double P99 => Percentile(Latencies, 0.99);

    /// <summary>
    /// Drives <paramref name="operation"/> from <paramref name="clients"/> concurrent clients, each
    /// starting its next operation when the last one ends, for <paramref name="duration"/>.
    /// </summary>
    /// <param name="operation">Client index, sequence number → whether it succeeded.</param>
    public static async Task<LoadRun> RunAsync(int clients, TimeSpan duration, Func<int, long, Task<bool>> operation)
    {
        long count = 0, errors = 0, sequence = 0;
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async client =>
        {
            latencies[client] = [];
            while (clock.Elapsed < duration)
            {
                long start = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation(client, Interlocked.Increment(ref sequence));
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                latencies[client].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref count);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        });
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        return new LoadRun(count, errors, all, elapsed);
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(sorted.Count * p) - 1, 0, sorted.Count - 1)];
}
