using System.Globalization;
using Microsoft.Data.Sqlite;
using Tessera.Storage.Nonces;
using Tessera.Storage.Sqlite;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Sqlite;

/// <summary>SQLite-specific behaviour of <see cref="SqliteDatabase"/>: file, pragmas, migrations.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _directory = Directory.CreateTempSubdirectory("tessera-sqlite-db-tests-").FullName;
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
    public void Open_CreatesDatabaseFile_WhenFileDoesNotExist()
    {
        Assert.False(File.Exists(DbPath));

        var db = Open(DbPath);

        Assert.True(File.Exists(DbPath));
        Assert.Equal(Path.GetFullPath(DbPath), db.Path);
    }

    [Fact]
    public void Open_CreatesFileWithOwnerOnlyMode_WhenFileDoesNotExist()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Open(DbPath);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(DbPath));
    }

    [Fact]
    public void Open_RestoresOwnerOnlyMode_WhenExistingFileIsWorldReadable()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Open(DbPath).Dispose();
        File.SetUnixFileMode(DbPath, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Open(DbPath);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(DbPath));
    }

    [Fact]
    public void Open_CreatesMissingDirectoriesWithOwnerOnlyMode_WhenParentDoesNotExist()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string nested = Path.Combine(_directory, "data", "tessera");
        string path = Path.Combine(nested, "tessera.db");

        Open(path);

        Assert.True(File.Exists(path));
        Assert.Equal(OwnerAll, File.GetUnixFileMode(nested));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Open_LeavesNoSidecarFileReadableByOthers_WhenDatabaseIsInUse()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A data directory that already exists and that others may traverse (Open only creates
        // missing directories as 0700), as /var/lib/tessera typically is.
        File.SetUnixFileMode(_directory, OwnerAll | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var db = Open(DbPath);
        await new SqliteNonceStore(db).CreateAsync("n", Now + Hour, Ct);

        var readableByOthers = new List<string>();
        foreach (string sidecar in new[] { DbPath + "-wal", DbPath + "-shm" })
        {
            Assert.True(File.Exists(sidecar), sidecar + " should exist while a connection is pooled");
            var mode = File.GetUnixFileMode(sidecar);
            if ((mode & ~OwnerAll) != 0)
            {
                readableByOthers.Add($"{Path.GetFileName(sidecar)}: {Convert.ToString((int)mode, 8)}");
            }
        }

        Assert.Empty(readableByOthers);
    }

    [Fact]
    public void Open_SetsWalJournalMode_WhenDatabaseIsNew()
    {
        var db = Open(DbPath);

        Assert.Equal("wal", Scalar<string>(db, "PRAGMA journal_mode"));

        // WAL is a property of the file: a plain connection that never asked for it sees it too.
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        raw.Open();
        using var cmd = raw.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)cmd.ExecuteScalar());
    }

    [Fact]
    public void OpenConnection_AppliesDurabilityAndLockingPragmas_WhenOpened()
    {
        var db = Open(DbPath);

        Assert.Equal(2L, Scalar<long>(db, "PRAGMA synchronous")); // FULL
        Assert.Equal(1L, Scalar<long>(db, "PRAGMA foreign_keys"));
        Assert.Equal(30000L, Scalar<long>(db, "PRAGMA busy_timeout"));
    }

    [Fact]
    public void Open_RecordsEveryMigrationOnce_WhenDatabaseIsNew()
    {
        var db = Open(DbPath);

        var rows = SchemaRows(db);

        Assert.Equal([(1, "0001_initial"), (2, "0002_audit_checkpoints"), (3, "0003_agent_status"), (4, "0004_clients"), (5, "0005_platforms_grants"), (6, "0006_agent_inventory"), (7, "0007_last_seen")], rows.Select(r => (r.Version, r.Name)).ToArray());
        Assert.All(rows, r => Assert.True(r.AppliedAtMs > 0));
        Assert.Equal(LatestVersion, db.SchemaVersion());
    }

    private const int LatestVersion = 7;

    [Fact]
    public void Open_CreatesEveryTable_WhenDatabaseIsNew()
    {
        var db = Open(DbPath);

        var tables = db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = cmd.ExecuteReader();
            var names = new List<string>();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }

            return names;
        });

        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal) { "agents", "audit_events", "clients", "grants", "launch_tokens", "nonces", "platforms", "revocations", "schema_version", "used_assertions" },
            new HashSet<string>(tables, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Open_AppliesNothingTwiceAndKeepsData_WhenDatabaseIsReopened()
    {
        var first = Open(DbPath);
        var before = SchemaRows(first);
        var firstStores = SqliteStorageHarness.StoresOver(first);
        await firstStores.LaunchTokens.CreateAsync(LaunchToken("kept"), Ct);
        await firstStores.Nonces.CreateAsync("kept-nonce", Now + Hour, Ct);
        var revocation = await firstStores.Revocations.AddAsync(Revocation("agent", "agent-1", Now + Hour), Ct);
        var events = await firstStores.Audit.AppendAsync(Drafts("before", 3), Ct);
        first.Dispose();

        var second = Open(DbPath);
        var third = Open(DbPath);
        var stores = SqliteStorageHarness.StoresOver(second);

        Assert.Equal(before, SchemaRows(second));
        Assert.Equal(before, SchemaRows(third));
        Assert.Equal(LatestVersion, second.SchemaVersion());
        Assert.NotNull(await stores.LaunchTokens.FindAsync(TokenHash("kept"), Ct));
        Assert.Equal(NonceConsumeResult.Consumed, await stores.Nonces.ConsumeAsync("kept-nonce", Now, Ct));
        Assert.Equal([revocation], await stores.Revocations.ListAsync(0, Now, 10, Ct));
        Assert.Equal(events, await stores.Audit.ReadAsync(0, 10, Ct));
        var next = await stores.Audit.AppendAsync([Draft("after")], Ct);
        Assert.Equal(4, next[0].Sequence);
        Assert.Equal(events[^1].Hash, next[0].PrevHash);
    }

    [Fact]
    public void Open_AppliesSchemaOnce_WhenManyHandlesOpenNewFileConcurrently()
    {
        // Two broker processes (or the CLI and the broker) starting at once on a fresh file.
        // Dedicated threads released by a barrier, over many fresh files: the race window is small.
        var errors = new List<string>();
        for (int round = 0; round < 40; round++)
        {
            string path = Path.Combine(_directory, $"race-{round:D2}", "tessera.db");
            using var barrier = new Barrier(4);
            var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                barrier.SignalAndWait();
                try
                {
                    Open(path);
                }
                catch (SqliteException e)
                {
                    lock (errors)
                    {
                        errors.Add($"round {round}: {e.Message}");
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            var db = Open(path);
            Assert.Equal(LatestVersion, SchemaRows(db).Count);
            Assert.Equal(LatestVersion, db.SchemaVersion());
        }

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Open_Throws_WhenPathIsBlank(string path)
    {
        Assert.ThrowsAny<ArgumentException>(() => SqliteDatabase.Open(path));
    }

    [Fact]
    public void Ping_ReturnsTrue_WhenDatabaseIsOpen()
    {
        var db = Open(DbPath);

        Assert.True(db.Ping());
        Assert.True(db.Ping());
    }

    [Fact]
    public async Task WriteAsync_RollsBackAndReleasesGate_WhenWorkThrows()
    {
        var db = Open(DbPath);
        var nonces = new SqliteNonceStore(db);

        await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync<int>(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "INSERT INTO nonces (nonce, expires_at_ms) VALUES ('half-written', 1)";
                cmd.ExecuteNonQuery();
                throw new InvalidOperationException("boom");
            },
            Ct));

        Assert.Equal(0L, Scalar<long>(db, "SELECT COUNT(*) FROM nonces"));
        var write = nonces.CreateAsync("after", Now + Hour, Ct);
        Assert.Same(write, await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(30))));
        await write;
        Assert.Equal(1L, Scalar<long>(db, "SELECT COUNT(*) FROM nonces"));
    }

    [Fact]
    public async Task WriteAsync_ThrowsAndWritesNothing_WhenCancelled()
    {
        var db = Open(DbPath);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SqliteNonceStore(db).CreateAsync("never", Now + Hour, cts.Token));

        Assert.Equal(0L, Scalar<long>(db, "SELECT COUNT(*) FROM nonces"));
    }

    private SqliteDatabase Open(string path)
    {
        var db = SqliteDatabase.Open(path);
        lock (_opened)
        {
            _opened.Add(db);
        }

        return db;
    }

    private static T Scalar<T>(SqliteDatabase db, string sql) => db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (T)Convert.ChangeType(cmd.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    });

    private static List<(long Version, string Name, long AppliedAtMs)> SchemaRows(SqliteDatabase db) => db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version, name, applied_at_ms FROM schema_version ORDER BY version";
        using var reader = cmd.ExecuteReader();
        var rows = new List<(long, string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    });
}
