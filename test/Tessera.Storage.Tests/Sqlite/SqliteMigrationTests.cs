using System.Globalization;
using Microsoft.Data.Sqlite;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;
using Tessera.Storage.Sqlite;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Sqlite;

/// <summary>
/// Upgrades of a database written by an older broker: the file is brought to an earlier schema
/// with the embedded migrations themselves, filled the way that broker filled it, then opened.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private const string MigrationPrefix = "Tessera.Storage.Sqlite.Migrations.";

    private static readonly byte[] AppSecretHash = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];
    private static readonly byte[] AppPreviousSecretHash = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];

    private readonly string _directory = Directory.CreateTempSubdirectory("tessera-sqlite-migration-tests-").FullName;
    private readonly List<SqliteDatabase> _opened = [];

    private string DbPath => Path.Combine(_directory, "tessera.db");

    private static CancellationToken Ct => CancellationToken.None;

    public void Dispose()
    {
        foreach (var database in _opened)
        {
            database.Dispose();
        }

        SqliteStorageHarness.DeleteDirectory(_directory);
    }

    [Fact]
    public async Task Open_KeepsAppsAndFillsNewColumnsWithDefaults_WhenUpgradingFromSchema4()
    {
        CreateAtSchema(4, InsertApps);

        var db = Open();
        var clients = new SqliteClientStore(db);

        Assert.Equal(7, db.SchemaVersion());
        var apps = await clients.ListAsync("app", Ct);
        Assert.Equal(["app-1", "app-2"], apps.Select(a => a.EntityId));

        var first = apps[0];
        Assert.Equal("tsr_kid_00000000000000000000000000000001", first.ClientId);
        Assert.Equal("app", first.Kind);
        Assert.Equal("reporting", first.Name);
        Assert.Equal(AppSecretHash, first.SecretHash);
        Assert.Equal(AppPreviousSecretHash, first.PreviousSecretHash);
        Assert.Equal(Now + Hour, first.PreviousValidUntilMs);
        Assert.Equal(["read:data:*", "write:reports:q3"], first.Scopes);
        Assert.Equal(900, first.TokenTtl);
        Assert.Equal("active", first.Status);
        Assert.Equal(Now - Hour, first.CreatedAtMs);
        Assert.Equal(Now - Minute, first.UpdatedAtMs);

        var second = apps[1];
        Assert.Equal("tsr_kid_00000000000000000000000000000002", second.ClientId);
        Assert.Equal("inactive", second.Status);
        Assert.Null(second.PreviousSecretHash);
        Assert.Null(second.PreviousValidUntilMs);
        Assert.Empty(second.Scopes);

        Assert.All(apps, app =>
        {
            Assert.Equal("", app.Owner);
            Assert.Equal("{}", app.MetadataJson);
            Assert.Equal("", app.Jwks);
            Assert.True(app.SecretEnabled);
            Assert.Equal(0, app.ConsecutiveDenials);
            Assert.Equal("", app.StatusReason);
        });
        Assert.Equal(first.ClientId, (await clients.FindByClientIdAsync(first.ClientId, Ct))!.ClientId);
    }

    [Fact]
    public async Task Open_GivesUpgradedDatabaseEveryNewFeature_WhenUpgradingFromSchema4()
    {
        CreateAtSchema(4, InsertApps);

        var db = Open();
        var clients = new SqliteClientStore(db);
        var platforms = new SqlitePlatformStore(db);
        var replays = new SqliteAssertionReplayStore(db);

        Assert.True(await clients.UpdateDetailsAsync("app-1", new ClientDetailsUpdate(Owner: "alice"), Now, Ct));
        Assert.Equal(new OutcomeResult(true, 2, false), await clients.ApplyOutcomesAsync("app-1", [new OutcomeRun(true, 2)], 5, Now, Ct));
        Assert.True(await clients.TransitionAsync("app-2", ["inactive"], "active", "reactivated", Now, Ct));
        Assert.True(await clients.CreateAsync(Client("new-agent"), Ct));
        Assert.True(await platforms.CreateAsync(Platform(PlatformId(1)), Ct));
        Assert.True(await platforms.SetGrantAsync(new GrantRecord(Client("new-agent").EntityId, PlatformId(1), ["read:data:*"], Now), Ct));
        Assert.True(await replays.TryUseAsync("k j", Now + Minute, Now, Ct));
        Assert.False(await replays.TryUseAsync("k j", Now + Minute, Now, Ct));

        Assert.Equal("alice", (await clients.FindByEntityIdAsync("app-1", Ct))!.Owner);
        Assert.Equal("reactivated", (await clients.FindByEntityIdAsync("app-2", Ct))!.StatusReason);
    }

    [Fact]
    public void Open_RecordsOnlyTheMigrationsItApplied_WhenUpgradingFromSchema4()
    {
        CreateAtSchema(4, InsertApps);

        var db = Open();
        Open().Dispose();

        var rows = db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT version, name, applied_at_ms FROM schema_version ORDER BY version";
            using var reader = cmd.ExecuteReader();
            var list = new List<(long Version, string Name, long AppliedAtMs)>();
            while (reader.Read())
            {
                list.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
            }

            return list;
        });

        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L, 7L], rows.Select(r => r.Version));
        Assert.Equal("0007_last_seen", rows[^1].Name);

        // The first four keep the marker this test wrote; versions 5 to 7 were applied by Open.
        Assert.All(rows.Take(4), r => Assert.Equal(1L, r.AppliedAtMs));
        Assert.All(rows.Skip(4), r => Assert.True(r.AppliedAtMs > 1));
    }

    private SqliteDatabase Open()
    {
        var db = SqliteDatabase.Open(DbPath);
        _opened.Add(db);
        return db;
    }

    /// <summary>Applies the embedded migrations up to <paramref name="version"/>, as an older broker did, then runs <paramref name="fill"/>.</summary>
    private void CreateAtSchema(int version, Action<SqliteConnection> fill)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT;");

        var assembly = typeof(SqliteDatabase).Assembly;
        var resources = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(MigrationPrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        int applied = 0;
        foreach (string resource in resources)
        {
            string name = resource[MigrationPrefix.Length..^4];
            int v = int.Parse(name[..name.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            if (v > version)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            Execute(connection, reader.ReadToEnd());
            Execute(connection, $"INSERT INTO schema_version (version, name, applied_at_ms) VALUES ({v}, '{name}', 1)");
            applied++;
        }

        Assert.Equal(version, applied);
        fill(connection);
    }

    /// <summary>Two apps as the schema-4 broker stored them (only the columns it knew).</summary>
    private static void InsertApps(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO clients (client_id, kind, entity_id, name, secret_hash, previous_secret_hash, previous_valid_until_ms, scopes, token_ttl, status, created_at_ms, updated_at_ms)
            VALUES ('tsr_kid_00000000000000000000000000000001', 'app', 'app-1', 'reporting', $hash, $prev, $until, '["read:data:*","write:reports:q3"]', 900, 'active', $created1, $updated1),
                   ('tsr_kid_00000000000000000000000000000002', 'app', 'app-2', 'legacy', $hash, NULL, NULL, '[]', 60, 'inactive', $created2, $created2)
            """;
        cmd.Parameters.AddWithValue("$hash", AppSecretHash);
        cmd.Parameters.AddWithValue("$prev", AppPreviousSecretHash);
        cmd.Parameters.AddWithValue("$until", Now + Hour);
        cmd.Parameters.AddWithValue("$created1", Now - Hour);
        cmd.Parameters.AddWithValue("$updated1", Now - Minute);
        cmd.Parameters.AddWithValue("$created2", Now - Hour + 1);
        Assert.Equal(2, cmd.ExecuteNonQuery());
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
