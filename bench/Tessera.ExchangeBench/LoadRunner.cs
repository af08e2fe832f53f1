using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Tessera.ExchangeBench;

/// <summary>
/// Closed-loop load: C workers, each sending its next request as soon as the previous one
/// answered, for a fixed time. Every response is checked (200 and a non-empty
/// <c>access_token</c>); a failure is counted, kept as a sample, and not counted as throughput.
/// </summary>
internal static class LoadRunner
{
    private const int MaxFailureSamples = 5;

    public static async Task<RunResult> RunAsync(ExchangeTarget target, int concurrency, TimeSpan duration)
    {
        long requests = 0, failures = 0;
        var samples = new ConcurrentQueue<string>();
        var latencies = new List<double>[concurrency];
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async i =>
        {
            var mine = latencies[i] = new List<double>(4096);
            while (clock.Elapsed < duration)
            {
                long start = Stopwatch.GetTimestamp();
                string? failure = await ExchangeOnceAsync(target);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref requests);
                if (failure is not null)
                {
                    Interlocked.Increment(ref failures);
                    if (samples.Count < MaxFailureSamples)
                    {
                        samples.Enqueue(failure);
                    }
                }
            }
        });
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new RunResult(requests, failures, elapsed, cpu, all, [.. samples]);
    }

    /// <summary>One exchange; null when it succeeded, else what was wrong.</summary>
    public static async Task<string?> ExchangeOnceAsync(ExchangeTarget target)
    {
        try
        {
            using var request = target.NewRequest();
            using var response = await target.Http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return $"HTTP {(int)response.StatusCode}: {Truncate(body)}";
            }

            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String && token.GetString()!.Length > 0
                ? null
                : $"HTTP 200 without access_token: {Truncate(body)}";
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
