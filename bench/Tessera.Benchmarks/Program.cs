using BenchmarkDotNet.Running;
using Tessera.Benchmarks;

// dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*'
// dotnet run -c Release --project bench/Tessera.Benchmarks -- --interleaved [rounds]
// dotnet run -c Release --project bench/Tessera.Benchmarks -- --inventory [postgresql connection string]
if (args.Length > 0 && args[0] == "--inventory")
{
    await AgentInventoryRun.RunAsync(args.Length > 1 ? args[1] : null);
    return;
}

if (args.Length > 0 && args[0] == "--interleaved")
{
    int rounds = args.Length > 1 && int.TryParse(args[1], out int r) && r > 0 ? r : 200;
    InterleavedVerifierRun.Run(rounds);
    InterleavedVerifierRun.RunSigning(rounds);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
