using System.Globalization;

namespace Tessera.ExchangeBench;

/// <summary>Starts both servers, checks each one answers, warms up, measures, reports.</summary>
internal static class ExchangeBenchmark
{
    private const string PlatformId = "bench-api";
    private const string PlatformHost = "bench.example";
    private const string Scope = "orders:read";

    // The same resource indicator (RFC 8707, an absolute URI) goes to both servers; for Tessera it
    // names the platform by its base URL. OpenIddict keeps registered resources as normalised
    // URIs, so the root needs its trailing slash to match.
    private const string Resource = "https://" + PlatformHost + "/";

    public static async Task<int> RunAsync(int seconds, int concurrency, bool peerOnly, TextWriter output)
    {
        var warmUp = TimeSpan.FromSeconds(2);
        var duration = TimeSpan.FromSeconds(seconds);
        string directory = Path.Combine(Path.GetTempPath(), "tessera-exchangebench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var problems = new List<string>();
        try
        {
            await using var peer = await OpenIddictPeer.StartAsync(directory, Scope, Resource);
            using var baseline = new ExchangeTarget("OpenIddict 7.8 /connect/token (baseline)", peer.BaseAddress, "/connect/token",
                OpenIddictPeer.ClientId, OpenIddictPeer.ClientSecret, Scope, Resource, concurrency);
            var targets = new List<ExchangeTarget> { baseline };

            output.WriteLine($"Token exchange bench: {seconds} s per side after {warmUp.TotalSeconds:F0} s warm-up, {concurrency} concurrent clients, "
                + $"{Environment.ProcessorCount} cores, clients and both servers in one process");
            output.WriteLine($"  peer store: SQLite journal_mode={await peer.PragmaAsync("journal_mode")} synchronous={await peer.PragmaAsync("synchronous")} (2 = FULL)");
            if (await LoadRunner.ExchangeOnceAsync(baseline) is { } baselineRefused)
            {
                // Without a working baseline there is nothing to compare against.
                problems.Add($"OpenIddict baseline NOT MEASURED: the first exchange failed: {baselineRefused}");
                return Report(problems, output);
            }

            output.WriteLine($"  {baseline.Name}: {await TokenPeek.DescribeAsync(baseline)}");

            TesseraSide? tessera = null;
            ExchangeTarget? broker = null;
            if (!peerOnly)
            {
                tessera = await TesseraSide.StartAsync(directory);
                if (await tessera.ProvisionAsync(PlatformId, PlatformHost, Scope) is { } failed)
                {
                    problems.Add($"Tessera side NOT MEASURED: provisioning failed: {failed}");
                }
                else
                {
                    broker = new ExchangeTarget("Tessera POST /v1/token", tessera.BaseAddress, "/v1/token",
                        tessera.KeyId, tessera.Secret, Scope, Resource, concurrency);
                    if (await LoadRunner.ExchangeOnceAsync(broker) is { } refused)
                    {
                        problems.Add($"Tessera side NOT MEASURED: the first exchange failed: {refused}");
                        broker.Dispose();
                        broker = null;
                    }
                    else
                    {
                        output.WriteLine($"  {broker.Name}: {await TokenPeek.DescribeAsync(broker)}");
                        targets.Add(broker);
                    }
                }
            }

            try
            {
                var results = new List<(ExchangeTarget Target, RunResult WarmUp, RunResult Run)>();
                foreach (var target in targets)
                {
                    var warm = await LoadRunner.RunAsync(target, concurrency, warmUp);
                    var run = await LoadRunner.RunAsync(target, concurrency, duration);
                    results.Add((target, warm, run));
                }

                output.WriteLine();
                output.WriteLine($"{"endpoint",-44} {"req/s",9} {"vs baseline",12} {"p50 ms",8} {"p99 ms",8} {"requests",9} {"failed",7}");
                double reference = results[0].Run.RequestsPerSecond;
                foreach (var (target, warm, run) in results)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{target.Name,-44} {run.RequestsPerSecond,9:F0} {run.RequestsPerSecond / reference,11:F2}x {run.Percentile(0.50),8:F2} {run.Percentile(0.99),8:F2} {run.Requests,9} {run.Failures,7}"));
                    foreach (var (phase, result) in new[] { ("warm-up", warm), ("measured", run) })
                    {
                        if (result.Failures > 0)
                        {
                            problems.Add($"{target.Name}: {result.Failures} of {result.Requests} {phase} requests failed, e.g.:");
                            problems.AddRange(result.FailureSamples.Select(s => "    " + s));
                        }
                    }
                }

                // Every successful exchange on the peer must have left its durable row: the first
                // exchange and the peek, then every success of the warm-up and the measured run.
                long issued = 2 + results[0].WarmUp.Requests - results[0].WarmUp.Failures + results[0].Run.Requests - results[0].Run.Failures;
                long stored = await peer.CountRowsAsync("OpenIddictTokens");
                output.WriteLine();
                output.WriteLine($"Sanity: OpenIddict stored {stored} token rows for {issued} tokens issued; "
                    + $"authorizations stored: {await peer.CountRowsAsync("OpenIddictAuthorizations")}");
                if (stored < issued)
                {
                    problems.Add($"OpenIddict stored fewer tokens ({stored}) than it issued ({issued})");
                }
            }
            finally
            {
                broker?.Dispose();
                if (tessera is not null)
                {
                    await tessera.DisposeAsync();
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        return Report(problems, output);
    }

    private static int Report(List<string> problems, TextWriter output)
    {
        if (problems.Count == 0)
        {
            output.WriteLine("Sanity: every response was 200 with an access_token.");
            return 0;
        }

        output.WriteLine();
        output.WriteLine("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        output.WriteLine("!!! THIS RUN HAD FAILURES: its figures are not a valid comparison.");
        foreach (string problem in problems)
        {
            output.WriteLine("!!! " + problem);
        }

        output.WriteLine("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        return 1;
    }
}
