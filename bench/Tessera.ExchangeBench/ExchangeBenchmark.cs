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

    // Before the load, each side answers one exchange and one more for the token description.
    private const int ExchangesBeforeLoad = 2;

    public static async Task<int> RunAsync(int seconds, int concurrency, int rounds, bool peerOnly, TextWriter output)
    {
        var warmUp = TimeSpan.FromSeconds(2);
        string directory = Path.Combine(Path.GetTempPath(), "tessera-exchangebench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var problems = new List<string>();
        try
        {
            await using var peer = await OpenIddictPeer.StartAsync(directory, Scope, Resource);
            using var baseline = new ExchangeTarget("OpenIddict 7.8 /connect/token (baseline)", peer.BaseAddress, "/connect/token",
                OpenIddictPeer.ClientId, OpenIddictPeer.ClientSecret, Scope, Resource, concurrency);

            output.WriteLine($"Token exchange bench: {seconds} s per side in {rounds} alternating round(s), after {warmUp.TotalSeconds:F0} s warm-up; "
                + $"{concurrency} concurrent clients; {Environment.ProcessorCount} cores; clients and both servers in one process");
            output.WriteLine($"  OpenIddict store: SQLite journal_mode={await peer.PragmaAsync("journal_mode")}, synchronous={await peer.PragmaAsync("synchronous")} (2 = FULL), "
                + $"busy_timeout={await peer.PragmaAsync("busy_timeout")} ms, token storage on");
            if (await LoadRunner.ExchangeOnceAsync(baseline) is { } baselineRefused)
            {
                // Without a working baseline there is nothing to compare against.
                problems.Add($"OpenIddict baseline NOT MEASURED: the first exchange failed: {baselineRefused}");
                return Report(problems, output);
            }

            output.WriteLine($"  {baseline.Name}: {await TokenPeek.DescribeAsync(baseline)}");
            var targets = new List<ExchangeTarget> { baseline };

            await using var tessera = peerOnly ? null : await TesseraSide.StartAsync(directory);
            using var broker = tessera is null ? null : await ConnectAsync(tessera, concurrency, problems);
            if (broker is not null)
            {
                output.WriteLine($"  {broker.Name}: {await TokenPeek.DescribeAsync(broker)}");
                targets.Add(broker);
            }

            output.WriteLine($"  before the load: {MachineLoad.Describe(MachineLoad.OneMinute())}");
            var measured = await MeasureAsync(targets, concurrency, warmUp, TimeSpan.FromSeconds(seconds), rounds);
            output.WriteLine($"  after the load: {MachineLoad.Describe(MachineLoad.OneMinute())} (this run's own load included)");

            output.WriteLine();
            output.WriteLine($"{"endpoint",-44} {"req/s",9} {"vs baseline",12} {"p50 ms",8} {"p99 ms",8} {"CPU ms/req",11} {"requests",9} {"failed",7}");
            double reference = measured[0].Run.RequestsPerSecond;
            foreach (var (target, warm, run) in measured)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Name,-44} {run.RequestsPerSecond,9:F0} {run.RequestsPerSecond / reference,11:F2}x {run.Percentile(0.50),8:F2} {run.Percentile(0.99),8:F2} {run.CpuMsPerSuccess,11:F2} {run.Requests,9} {run.Failures,7}"));
                foreach (var (phase, result) in new[] { ("warm-up", warm), ("measured", run) })
                {
                    if (result.Failures > 0)
                    {
                        problems.Add($"{target.Name}: {result.Failures} of {result.Requests} {phase} requests failed, e.g.:");
                        problems.AddRange(result.FailureSamples.Select(s => "    " + s));
                    }
                }
            }

            // Each side must have left one durable record per token it issued: a token row for
            // OpenIddict, a token_exchanged audit event for Tessera.
            output.WriteLine();
            long peerIssued = ExchangesBeforeLoad + measured[0].WarmUp.Successes + measured[0].Run.Successes;
            long peerRows = await peer.CountRowsAsync("OpenIddictTokens");
            output.WriteLine($"Durable records: OpenIddict {peerRows} token rows for {peerIssued} tokens issued "
                + $"(authorization rows: {await peer.CountRowsAsync("OpenIddictAuthorizations")})");
            if (peerRows < peerIssued)
            {
                problems.Add($"OpenIddict stored fewer tokens ({peerRows}) than it issued ({peerIssued})");
            }

            if (tessera is not null && broker is not null)
            {
                long issued = ExchangesBeforeLoad + measured[1].WarmUp.Successes + measured[1].Run.Successes;
                long events = await tessera.CountAuditEventsAsync("token_exchanged");
                output.WriteLine($"Durable records: Tessera {events} token_exchanged audit events for {issued} tokens issued");
                if (events < issued)
                {
                    problems.Add($"Tessera audited fewer exchanges ({events}) than it issued tokens ({issued})");
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

    /// <summary>Provisions the broker and checks one exchange works; null (with the reason in problems) when not.</summary>
    private static async Task<ExchangeTarget?> ConnectAsync(TesseraSide tessera, int concurrency, List<string> problems)
    {
        if (await tessera.ProvisionAsync(PlatformId, PlatformHost, Scope) is { } failed)
        {
            problems.Add($"Tessera side NOT MEASURED: provisioning failed: {failed}");
            return null;
        }

        var broker = new ExchangeTarget("Tessera POST /v1/token", tessera.BaseAddress, "/v1/token",
            tessera.KeyId, tessera.Secret, Scope, Resource, concurrency);
        if (await LoadRunner.ExchangeOnceAsync(broker) is { } refused)
        {
            problems.Add($"Tessera side NOT MEASURED: the first exchange failed: {refused}");
            broker.Dispose();
            return null;
        }

        return broker;
    }

    /// <summary>
    /// Warms every target up, then measures them in alternating rounds (A B | B A | A B …) so a
    /// drift in what else the machine is doing weighs on both sides alike.
    /// </summary>
    private static async Task<List<(ExchangeTarget Target, RunResult WarmUp, RunResult Run)>> MeasureAsync(
        List<ExchangeTarget> targets, int concurrency, TimeSpan warmUp, TimeSpan duration, int rounds)
    {
        var warm = new List<RunResult>();
        foreach (var target in targets)
        {
            warm.Add(await LoadRunner.RunAsync(target, concurrency, warmUp));
        }

        var slices = targets.Select(_ => new List<RunResult>()).ToList();
        var slice = duration / rounds;
        for (int round = 0; round < rounds; round++)
        {
            var order = Enumerable.Range(0, targets.Count);
            foreach (int i in round % 2 == 0 ? order : order.Reverse())
            {
                slices[i].Add(await LoadRunner.RunAsync(targets[i], concurrency, slice));
            }
        }

        return [.. targets.Select((t, i) => (t, warm[i], RunResult.Combine(slices[i])))];
    }

    private static int Report(List<string> problems, TextWriter output)
    {
        if (problems.Count == 0)
        {
            output.WriteLine("Sanity: every response was 200 with an access_token.");
            return 0;
        }

        output.WriteLine();
        output.WriteLine(new string('!', 100));
        output.WriteLine("!!! THIS RUN HAD FAILURES: its figures are not a valid comparison.");
        foreach (string problem in problems)
        {
            output.WriteLine("!!! " + problem);
        }

        output.WriteLine(new string('!', 100));
        return 1;
    }
}
