using Npgsql;
using Tessera.Audit;
using Tessera.Storage.Audit;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Revocations;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>What the PostgreSQL provider adds to the contracts: migrations, the offline reader, replica-safety details.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlDatabaseTests
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task OpenAsync_AppliesEveryMigrationOnce_WhenReplicasStartTogether()
    {
        string name = PostgreSqlTestServer.CreateEmptyDatabase();
        string connectionString = PostgreSqlTestServer.ConnectionStringFor(name);
        try
        {
            var opened = await Concurrently.RunAsync(4, _ => PostgreSqlDatabase.OpenAsync(connectionString, Ct));
            foreach (var database in opened)
            {
                await database.DisposeAsync();
            }

            var applied = await QueryVersionsAsync(connectionString);
            var embedded = PostgreSqlMigrator.LoadMigrations().Select(m => m.Version).ToList();
            Assert.NotEmpty(embedded);
            Assert.Equal(embedded, applied);

            await using var reopened = await PostgreSqlDatabase.OpenAsync(connectionString, Ct);
            Assert.Equal(embedded[^1], await reopened.SchemaVersionAsync(Ct));
            Assert.Equal(embedded, await QueryVersionsAsync(connectionString));
        }
        finally
        {
            PostgreSqlTestServer.DropDatabase(name);
        }
    }

    [Fact]
    public async Task PingAsync_ReturnsTrue_WhenServerAnswers()
    {
        using var harness = new PostgreSqlStorageHarness();

        Assert.True(await harness.Database.PingAsync(Ct));
    }

    [Fact]
    public async Task AppendAsync_FailsOnlyThatAppender_WhenItsDraftCannotBeStored()
    {
        using var harness = new PostgreSqlStorageHarness();
        var audit = harness.Primary.Audit;

        // PostgreSQL text cannot hold NUL; appenders sharing its batch must not pay for it.
        var results = await Concurrently.RunAsync(20, async t =>
        {
            var drafts = t == 7 ? [Draft("bad\0draft")] : Drafts($"task-{t:D2}", 5);
            try
            {
                return (IReadOnlyList<AuditEvent>?)await audit.AppendAsync(drafts, Ct);
            }
            catch (PostgresException)
            {
                return null;
            }
        });

        Assert.Null(results[7]);
        Assert.Equal(19, results.Count(r => r is not null));
        var (events, checkpoints) = await PostgreSqlAuditReader.ReadAllAsync(harness.ConnectionString, Ct);
        Assert.Empty(checkpoints);
        Assert.Equal(95, events.Count);
        Assert.Equal(AuditVerdict.Intact, AuditVerifier.Verify(events, checkpoints, null).Verdict);
    }

    [Fact]
    public async Task ReadAllAsync_ReturnsOneVerifiableChainAndCheckpoints_WhenTwoHandlesAppended()
    {
        using var harness = new PostgreSqlStorageHarness();
        var other = harness.OpenIndependentHandle().Audit;
        await Concurrently.RunAsync(10, t => (t % 2 == 0 ? harness.Primary.Audit : other).AppendAsync(Drafts($"t{t}", 10), Ct));
        var head = await harness.Primary.Audit.HeadAsync(Ct);
        Assert.NotNull(head);
        var checkpoint = new AuditCheckpoint(head.Sequence, head.Hash, "kid-1", "EdDSA", "c2ln", Now);
        await harness.Primary.Audit.AddCheckpointAsync(checkpoint, Ct);
        await harness.Primary.Audit.AddCheckpointAsync(checkpoint with { Signature = "other" }, Ct);

        var (events, checkpoints) = await PostgreSqlAuditReader.ReadAllAsync(harness.ConnectionString, Ct);

        Assert.Equal(100, events.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal([checkpoint], checkpoints);
        Assert.Equal([checkpoint], await harness.Primary.Audit.ListCheckpointsAsync(Ct));
        Assert.Equal(AuditVerdict.Intact, AuditVerifier.Verify(events, checkpoints, null).Verdict);
    }

    [Fact]
    public async Task ReadAllAsync_Throws_WhenDatabaseHasNoAuditChain()
    {
        string name = PostgreSqlTestServer.CreateEmptyDatabase();
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => PostgreSqlAuditReader.ReadAllAsync(PostgreSqlTestServer.ConnectionStringFor(name), Ct));
        }
        finally
        {
            PostgreSqlTestServer.DropDatabase(name);
        }
    }

    [Fact]
    public async Task ListAsync_NeverStepsPastAnEntry_WhenTwoHandlesAddWhileAReaderFollowsTheFeed()
    {
        // Identity values are taken at insert; were commits free to land out of order, a reader
        // could pass a number whose row becomes visible only later, and never see that row.
        using var harness = new PostgreSqlStorageHarness();
        var other = harness.OpenIndependentHandle().Revocations;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var done = new CancellationTokenSource();
        var follower = Task.Run(async () =>
        {
            long cursor = 0;
            while (true)
            {
                bool finished = done.IsCancellationRequested;
                foreach (var entry in await harness.Primary.Revocations.ListAsync(cursor, Now, 1000, Ct))
                {
                    seen.Add(entry.Target);
                    cursor = entry.Sequence;
                }

                if (finished)
                {
                    return;
                }
            }
        });

        await Concurrently.RunAsync(100, i => (i % 2 == 0 ? harness.Primary.Revocations : other).AddAsync(Revocation(RevocationLevel.Token, $"jti-{i:D3}", Now + Hour), Ct));
        await done.CancelAsync();
        await follower;

        Assert.Equal(100, seen.Count);
    }

    [Fact]
    public async Task Changes_SignalRevocations_WhenAnotherHandleCommitsOne()
    {
        using var harness = new PostgreSqlStorageHarness();
        await harness.Database.Changes.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var listener = harness.Database.Changes.Revocations;
        var other = harness.OpenIndependentHandle().Revocations;

        var changed = listener.Changed;
        Assert.False(changed.IsCompleted);
        await other.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + Hour), Ct);
        await changed.WaitAsync(TimeSpan.FromSeconds(5));

        var next = listener.Changed;
        Assert.False(next.IsCompleted);
        Assert.True(await other.TryAddNewAsync(Revocation(RevocationLevel.Token, "jti-1", Now + Hour), Ct));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Changes_SignalAgain_WhenTheListeningConnectionWasCut()
    {
        using var harness = new PostgreSqlStorageHarness();
        await harness.Database.Changes.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var listener = harness.Database.Changes.Revocations;
        var reconnected = listener.Changed;

        await using (var connection = new NpgsqlConnection(harness.ConnectionString))
        {
            await connection.OpenAsync();
            await using var cut = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'", connection);
            Assert.Equal(1L, await cut.ExecuteScalarAsync());
        }

        // Back with a catch-up signal (what was committed meanwhile was not heard), then listening again.
        await reconnected.WaitAsync(TimeSpan.FromSeconds(30));
        var next = listener.Changed;
        await harness.OpenIndependentHandle().Revocations.AddAsync(Revocation(RevocationLevel.Agent, "agent-1", Now + Hour), Ct);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<List<int>> QueryVersionsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }
}
