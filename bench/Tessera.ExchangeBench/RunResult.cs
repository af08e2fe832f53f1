namespace Tessera.ExchangeBench;

/// <summary>What one timed run of one target measured.</summary>
internal sealed record RunResult(long Requests, long Failures, TimeSpan Elapsed, double[] SortedLatenciesMs, IReadOnlyList<string> FailureSamples)
{
    public double RequestsPerSecond => (Requests - Failures) / Elapsed.TotalSeconds;

    public double Percentile(double p) =>
        SortedLatenciesMs.Length == 0 ? double.NaN : SortedLatenciesMs[Math.Min(SortedLatenciesMs.Length - 1, (int)(SortedLatenciesMs.Length * p))];
}
