namespace Tessera.ExchangeBench;

/// <summary>What timed runs of one target measured.</summary>
/// <param name="Cpu">CPU time the whole process (clients and both servers) used meanwhile.</param>
internal sealed record RunResult(long Requests, long Failures, TimeSpan Elapsed, TimeSpan Cpu, double[] SortedLatenciesMs, IReadOnlyList<string> FailureSamples)
{
    public long Successes => Requests - Failures;

    /// <summary>Successful exchanges per second; a failed request is no throughput.</summary>
    public double RequestsPerSecond => Successes / Elapsed.TotalSeconds;

    /// <summary>
    /// Process CPU per successful exchange, client side included: less sensitive than req/s to
    /// whatever else a shared machine is running, though not immune (caches, frequency).
    /// </summary>
    public double CpuMsPerSuccess => Successes == 0 ? double.NaN : Cpu.TotalMilliseconds / Successes;

    public double Percentile(double p) =>
        SortedLatenciesMs.Length == 0 ? double.NaN : SortedLatenciesMs[Math.Min(SortedLatenciesMs.Length - 1, (int)(SortedLatenciesMs.Length * p))];

    /// <summary>Several rounds of the same target as one result.</summary>
    public static RunResult Combine(IReadOnlyCollection<RunResult> rounds)
    {
        var latencies = rounds.SelectMany(r => r.SortedLatenciesMs).ToArray();
        Array.Sort(latencies);
        return new RunResult(
            rounds.Sum(r => r.Requests),
            rounds.Sum(r => r.Failures),
            TimeSpan.FromTicks(rounds.Sum(r => r.Elapsed.Ticks)),
            TimeSpan.FromTicks(rounds.Sum(r => r.Cpu.Ticks)),
            latencies,
            [.. rounds.SelectMany(r => r.FailureSamples).Take(5)]);
    }
}
