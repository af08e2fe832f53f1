using System.Globalization;
using Tessera.ExchangeBench;

// Token exchange throughput over HTTP, side by side in one process: a stock OpenIddict server
// (baseline, client_credentials at /connect/token, EF Core store on SQLite) and a real Tessera
// broker (POST /v1/token), each driven by C concurrent clients for D seconds after a warm-up.
// Usage: dotnet run -c Release --project bench/Tessera.ExchangeBench -- [seconds] [concurrency] [--rounds=N] [--peer-only]
var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
int seconds = positional.Length > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 10;
int concurrency = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 32;
string? roundsArg = args.FirstOrDefault(a => a.StartsWith("--rounds=", StringComparison.Ordinal));
int rounds = roundsArg is null ? 2 : int.Parse(roundsArg["--rounds=".Length..], CultureInfo.InvariantCulture);
bool peerOnly = args.Contains("--peer-only");
if (seconds < 1 || concurrency < 1 || rounds < 1)
{
    Console.Error.WriteLine("usage: [seconds >= 1] [concurrency >= 1] [--rounds=N >= 1] [--peer-only]");
    return 2;
}

return await ExchangeBenchmark.RunAsync(seconds, concurrency, rounds, peerOnly, Console.Out);
