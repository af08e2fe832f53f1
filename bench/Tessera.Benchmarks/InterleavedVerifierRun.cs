using System.Diagnostics;
using System.Globalization;

namespace Tessera.Benchmarks;

/// <summary>
/// The verifier comparison again, for a shared machine whose speed drifts over minutes (as this
/// 2-core one does): BenchmarkDotNet measures one method after another, so a slow minute can land
/// on one of them. Here every round times a short batch of each method, in a shuffled order, and
/// the ratios are the medians of the per-round ratios, so drift cancels out of each comparison.
/// <c>dotnet run -c Release --project bench/Tessera.Benchmarks -- --interleaved [rounds]</c>
/// </summary>
internal static class InterleavedVerifierRun
{
    private static readonly string[] Algorithms = ["ES256", "RS256", "EdDSA"];

    public static void Run(int rounds)
    {
        Console.WriteLine($"Interleaved verifier run: {rounds} rounds, each a ~2 ms batch per method after a 0.5 s warm-up, order shuffled per round; medians (ratios: medians of the per-round ratios).");
        Console.WriteLine();
        Console.WriteLine("| algorithm | bare signature check (floor) | Tessera validation | Tessera overhead (signature skipped) | Tessera − floor (paired) | JsonWebTokenHandler (baseline) | Tessera, cache warm | Tessera ÷ baseline (speed-up) | cache warm speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (string algorithm in Algorithms)
        {
            var bench = new VerifierBenchmarks { Algorithm = algorithm };
            bench.Setup();
            bool hasBaseline = algorithm != "EdDSA";
            var cases = new List<(string Name, Func<bool> Op)>
            {
                ("bare", bench.BareSignature),
                ("tessera", bench.Tessera),
                ("overhead", bench.TesseraOverhead),
                ("cached", bench.TesseraCached),
            };
            if (hasBaseline)
            {
                cases.Add(("baseline", bench.IdentityModel));
            }

            var batch = cases.ToDictionary(c => c.Name, c => Calibrate(c.Op));
            var samples = cases.ToDictionary(c => c.Name, _ => new List<double>());
            var random = new Random(42);
            for (int round = 0; round < rounds; round++)
            {
                foreach (var (name, op) in cases.OrderBy(_ => random.Next()))
                {
                    samples[name].Add(Time(op, batch[name]));
                }
            }

            double Median(string name) => MedianOf(samples[name]);
            double aboveFloor = MedianOf([.. Enumerable.Range(0, rounds).Select(r => samples["tessera"][r] - samples["bare"][r])]);
            double PairedSpeedup(string name) => MedianOf([.. Enumerable.Range(0, rounds).Select(r => samples["baseline"][r] / samples[name][r])]);
            string speedup = hasBaseline ? PairedSpeedup("tessera").ToString("F3", CultureInfo.InvariantCulture) + "×" : "—";
            string cachedSpeedup = hasBaseline ? PairedSpeedup("cached").ToString("F0", CultureInfo.InvariantCulture) + "×" : "—";
            Console.WriteLine(
                $"| {algorithm} | {Us(Median("bare"))} | {Us(Median("tessera"))} | {Us(Median("overhead"))} | {Us(aboveFloor)} | {(hasBaseline ? Us(Median("baseline")) : "—")} | {Us(Median("cached"))} | {speedup} | {cachedSpeedup} |");
        }
    }

    /// <summary>Issuing one token, the same way: IdentityModel ES256 (baseline) against Tessera ES256 and EdDSA.</summary>
    public static void RunSigning(int rounds)
    {
        var bench = new SignBenchmarks();
        bench.Setup();
        var cases = new List<(string Name, Func<object> Op)>
        {
            ("baseline", bench.IdentityModelEs256),
            ("es256", bench.TesseraEs256),
            ("eddsa", bench.TesseraEdDsa),
        };
        var batch = cases.ToDictionary(c => c.Name, c => Calibrate(() => c.Op() is not null));
        var samples = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var random = new Random(42);
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, op) in cases.OrderBy(_ => random.Next()))
            {
                samples[name].Add(Time(() => op() is not null, batch[name]));
            }
        }

        string Ratio(string name) => MedianOf([.. Enumerable.Range(0, rounds).Select(r => samples[name][r] / samples["baseline"][r])]).ToString("F2", CultureInfo.InvariantCulture);
        Console.WriteLine();
        Console.WriteLine($"Interleaved signing run: {rounds} rounds; medians (ratio: median of per-round time ratios to the baseline).");
        Console.WriteLine();
        Console.WriteLine("| operation | median | time ratio to baseline |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| IdentityModel ES256 sign (baseline) | {Us(MedianOf(samples["baseline"]))} | 1.00 |");
        Console.WriteLine($"| Tessera ES256 sign | {Us(MedianOf(samples["es256"]))} | {Ratio("es256")} |");
        Console.WriteLine($"| Tessera EdDSA sign | {Us(MedianOf(samples["eddsa"]))} | {Ratio("eddsa")} |");
    }

    // Operations per batch so that one batch takes about 2 ms (after a warm-up).
    private static int Calibrate(Func<bool> op)
    {
        // Long enough for tiered compilation to settle on optimized code before anything is timed.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            op();
        }

        var watch = Stopwatch.StartNew();
        int n = 0;
        while (watch.Elapsed < TimeSpan.FromMilliseconds(20))
        {
            op();
            n++;
        }

        return Math.Max(1, n / 10);
    }

    private static double Time(Func<bool> op, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            op();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / count;
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Us(double nanoseconds) => (nanoseconds / 1000).ToString("F3", CultureInfo.InvariantCulture) + " µs";
}
