using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.ReplicaBench;

// Replica bench: two broker replicas on one fresh PostgreSQL database and a single SQLite broker,
// all real brokers in this process (Kestrel on loopback, the broker's own host builder), with the
// clients in the same process. Measures, side by side in one run:
//   (a) revocation propagation: revoke a token on replica A, poll validate on replica B until it
//       refuses; p50/p99 over 100 revocations;
//   (b) registration throughput (challenge + register per operation) with C clients on the SQLite
//       broker (the baseline), on replica A alone, and spread over replicas A and B (with a launch
//       token per client, and with one launch token shared by all).
// Usage: dotnet run -c Release --project bench/Tessera.ReplicaBench -- [seconds] [clients] [postgres]
// where postgres is a postgres:// URL or Npgsql connection string of a server (default: TESSERA_TEST_PG).
int seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
string? server = args.Length > 2 ? args[2] : Environment.GetEnvironmentVariable("TESSERA_TEST_PG");
if (string.IsNullOrWhiteSpace(server))
{
    Console.Error.WriteLine("usage: Tessera.ReplicaBench [seconds] [clients] [postgres-url-or-connection-string]; or set TESSERA_TEST_PG (scripts/test-postgres.sh starts a throwaway server)");
    return 2;
}

const int Revocations = 100;
var duration = TimeSpan.FromSeconds(seconds);
await using var database = await BenchDatabase.CreateAsync(server);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Tessera replica bench: {seconds} s per scenario, {clients} concurrent clients, {Environment.ProcessorCount} cores, {LoadAverage()}; PostgreSQL {database.ServerVersion}; clients and brokers in one process"));

await using var sqlite = await BenchBroker.StartSqliteAsync(clients);
// One after the other: the first replica creates the shared signing keys in the database.
await using var a = await BenchBroker.StartReplicaAsync(database.ConnectionString, clients);
await using var b = await BenchBroker.StartReplicaAsync(database.ConnectionString, clients);

// (b) Registration throughput. Each client registers with its own multi-use launch token (an
// orchestrator's fleet token): one token shared by all would make every registration queue on
// that token's row (its use count), which the last scenario shows.
string[] sqliteLaunches = await LaunchTokensAsync(sqlite, clients);
string[] replicaLaunches = await LaunchTokensAsync(a, clients);
string sharedLaunch = await a.CreateLaunchTokenAsync();
var scenarios = new (string Name, Func<int, HttpClient> Target, Func<int, string> Launch)[]
{
    ("SQLite, one broker (baseline)", _ => sqlite.Client, i => sqliteLaunches[i]),
    ("PostgreSQL, all clients on replica A", _ => a.Client, i => replicaLaunches[i]),
    ("PostgreSQL, clients spread over replicas A and B", i => i % 2 == 0 ? a.Client : b.Client, i => replicaLaunches[i]),
    ("PostgreSQL, spread over A and B, one launch token", i => i % 2 == 0 ? a.Client : b.Client, _ => sharedLaunch),
};

Console.WriteLine();
Console.WriteLine("Registration (GET /v1/challenge + POST /v1/register per operation)");
Console.WriteLine($"| {"scenario",-50} | {"registrations/s",15} | {"ratio to baseline",17} | {"p50 ms",7} | {"p99 ms",7} | {"errors",6} |");
Console.WriteLine($"|{new string('-', 52)}|{new string('-', 17)}|{new string('-', 19)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 8)}|");
double baseline = 0;
foreach (var (name, target, launch) in scenarios)
{
    string tag = name.Split(',')[0].ToLowerInvariant();
    Func<int, long, Task<bool>> register = async (client, k) => await BenchBroker.RegisterAsync(target(client), launch(client), $"{tag}-{k}") is not null;
    await LoadRun.RunAsync(clients, TimeSpan.FromSeconds(1), register);
    var run = await LoadRun.RunAsync(clients, duration, register);
    baseline = baseline == 0 ? run.Rate : baseline;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name,-50} | {run.Rate,15:F0} | {run.Rate / baseline,16:F2}x | {run.P50,7:F1} | {run.P99,7:F1} | {run.Errors,6} |"));
}

// (a) Revocation propagation, one revocation at a time with nothing else running.
var tokens = new List<string>();
for (int i = 0; i < Revocations; i++)
{
    tokens.Add(await BenchBroker.RegisterAsync(a.Client, sharedLaunch, $"revoked-{i}") ?? throw new InvalidOperationException("registration refused"));
}

string admin = await a.AdminTokenAsync();
var acknowledged = new List<double>();
var propagated = new List<double>();
int late = 0;
foreach (string token in tokens)
{
    if (!await b.IsValidAsync(token))
    {
        throw new InvalidOperationException("replica B refused a token before its revocation");
    }

    string jti = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("jti").GetString()!;
    var clock = Stopwatch.StartNew();
    await a.RevokeTokenAsync(admin, jti);
    var revoked = clock.Elapsed;
    while (await b.IsValidAsync(token))
    {
        if (clock.Elapsed - revoked > TimeSpan.FromSeconds(10))
        {
            late++;
            break;
        }
    }

    acknowledged.Add(revoked.TotalMilliseconds);
    propagated.Add((clock.Elapsed - revoked).TotalMilliseconds);
}

acknowledged.Sort();
propagated.Sort();
Console.WriteLine();
Console.WriteLine($"Revocation propagation ({Revocations} revocations, one at a time; B's validate polled back to back)");
Console.WriteLine($"| {"measure",-52} | {"p50 ms",7} | {"p99 ms",7} | {"max ms",7} |");
Console.WriteLine($"|{new string('-', 54)}|{new string('-', 9)}|{new string('-', 9)}|{new string('-', 9)}|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {"POST /v1/revoke on A, until acknowledged",-52} | {LoadRun.Percentile(acknowledged, 0.5),7:F1} | {LoadRun.Percentile(acknowledged, 0.99),7:F1} | {acknowledged[^1],7:F1} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| {"acknowledged on A, until validate on B refuses",-52} | {LoadRun.Percentile(propagated, 0.5),7:F1} | {LoadRun.Percentile(propagated, 0.99),7:F1} | {propagated[^1],7:F1} |"));
if (late > 0)
{
    Console.WriteLine($"{late} revocations were not seen by B within 10 s");
}

Console.WriteLine();
Console.WriteLine($"finished: {LoadAverage()}");
return late == 0 ? 0 : 1;

static async Task<string[]> LaunchTokensAsync(BenchBroker broker, int count)
{
    var launches = new string[count];
    for (int i = 0; i < count; i++)
    {
        launches[i] = await broker.CreateLaunchTokenAsync();
    }

    return launches;
}

static string LoadAverage()
{
    const string path = "/proc/loadavg";
    return File.Exists(path)
        ? $"load average {File.ReadAllText(path).Split(' ')[0]} on {Environment.ProcessorCount} cores"
        : "load average unknown";
}
