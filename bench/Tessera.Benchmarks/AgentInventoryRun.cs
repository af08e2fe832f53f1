using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Sqlite;

namespace Tessera.Benchmarks;

/// <summary>
/// The agent inventory over 10,000 agents of both kinds (half registered with a launch token, half
/// with standing credentials), read page by page: the time of each page's single query, per provider.
/// Not a BenchmarkDotNet job: the figure of interest is the slowest page, on a real database.
/// </summary>
internal static class AgentInventoryRun
{
    public static async Task RunAsync(string? postgres, int agents = 10_000, int limit = 100)
    {
        string dir = Directory.CreateTempSubdirectory("tessera-inventory-").FullName;
        using (var sqlite = SqliteDatabase.Open(Path.Combine(dir, "bench.db")))
        {
            var store = new SqliteAgentStore(sqlite);
            await SeedAsync(new SqliteLaunchTokenStore(sqlite), store, new SqliteClientStore(sqlite), agents);
            await MeasureAsync("SQLite", new SqliteAgentInventory(sqlite), agents, limit);
        }

        Directory.Delete(dir, recursive: true);
        if (postgres is not null)
        {
            using var pg = PostgreSqlDatabase.Open(postgres);
            var store = new PostgreSqlAgentStore(pg);
            await SeedAsync(new PostgreSqlLaunchTokenStore(pg), store, new PostgreSqlClientStore(pg), agents);
            await MeasureAsync("PostgreSQL", new PostgreSqlAgentInventory(pg), agents, limit);
        }
    }

    private static async Task SeedAsync(ILaunchTokenStore tokens, IRegistrationStore registrations, IClientStore clients, int agents)
    {
        long now = 1_750_000_000_000;
        string hash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await tokens.CreateAsync(new LaunchTokenRecord
        {
            TokenHash = hash, AgentName = "bench", AllowedScope = ["read:data:*"], AllowedAudience = [], MaxTtl = 900,
            SingleUse = false, CreatedBy = "bench", CreatedAtMs = now, ExpiresAtMs = now + 3_600_000,
        }, CancellationToken.None);
        var work = new List<Task>();
        for (int i = 0; i < agents / 2; i++)
        {
            string n = i.ToString("D5", CultureInfo.InvariantCulture);
            work.Add(registrations.RegisterAsync(new AgentRecord
            {
                AgentId = $"spiffe://bench.test/agent/orch-{i % 20}/task-{n}/{n}", OrchId = $"orch-{i % 20}", TaskId = "task-" + n,
                AgentName = "worker-" + n, PublicKey = RandomNumberGenerator.GetBytes(32), LaunchTokenHash = hash,
                Scope = ["read:data:*"], Audience = [], MaxTtl = 900, CreatedAtMs = now + i,
            }, now, CancellationToken.None));
            work.Add(clients.CreateAsync(new ClientRecord
            {
                ClientId = "tsr_kid_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Kind = "agent",
                EntityId = $"spiffe://bench.test/agent/cred/bot-{n}/0", Name = "bot-" + n, SecretHash = RandomNumberGenerator.GetBytes(32),
                Scopes = [], TokenTtl = 0, Status = i % 10 == 0 ? "suspended" : "active", CreatedAtMs = now + i, UpdatedAtMs = now + i,
            }, CancellationToken.None));
            if (work.Count >= 200)
            {
                await Task.WhenAll(work);
                work.Clear();
            }
        }

        await Task.WhenAll(work);
    }

    private static async Task MeasureAsync(string provider, IAgentInventory inventory, int agents, int limit)
    {
        // One warm-up walk, then the measured one.
        for (int round = 0; round < 2; round++)
        {
            var times = new List<double>();
            int seen = 0;
            var query = new AgentInventoryQuery { Limit = limit };
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                var page = await inventory.ListAsync(query, CancellationToken.None);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                seen += page.Agents.Count;
                if (page.Next is not { } next)
                {
                    break;
                }

                query = query with { After = next };
            }

            var searched = Stopwatch.GetTimestamp();
            var found = await inventory.ListAsync(new AgentInventoryQuery { Search = "BOT-0012", Status = "active", Limit = limit }, CancellationToken.None);
            double searchMs = Stopwatch.GetElapsedTime(searched).TotalMilliseconds;
            if (round == 1)
            {
                times.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{provider}: {seen} agents of {agents} in {times.Count} pages of {limit}: mean {times.Average():F1} ms, median {times[times.Count / 2]:F1} ms, max {times[^1]:F1} ms a page; search+status filter {searchMs:F1} ms ({found.Total} matches)"));
            }
        }
    }
}
