using BenchmarkDotNet.Running;
using Tessera.Benchmarks;

// dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Tessera.Benchmarks -- --interleaved [rounds]
if (args.Length > 0 && args[0] == "--interleaved")
{
    InterleavedVerifierRun.Run(args.Length > 1 && int.TryParse(args[1], out int rounds) && rounds > 0 ? rounds : 200);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
