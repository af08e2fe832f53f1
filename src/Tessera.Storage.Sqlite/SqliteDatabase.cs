using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Tessera.Storage.Health;

namespace Tessera.Storage.Sqlite;

/// <summary>
/// The embedded SQLite database: WAL journal, full fsync on commit (what the broker
/// acknowledges survives a power cut), versioned migrations embedded in this assembly.
/// Writes go through one group-committing writer (<see cref="SqliteWriteBatcher"/>): SQLite
/// admits one writer at a time, so queuing here is cheaper and fairer than letting writers spin
/// on SQLITE_BUSY, and many writes share one fsync.
/// </summary>
public sealed class SqliteDatabase : IStorageHealth, IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteWriteBatcher _writer;

    private SqliteDatabase(string path, string connectionString)
    {
        Path = path;
        _connectionString = connectionString;
        _writer = new SqliteWriteBatcher(OpenConnection);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and applies pending migrations.</summary>
    public static SqliteDatabase Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        string? directory = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            // The database holds agent records and the audit trail: owner-only. SQLite gives the
            // -wal and -shm files the main file's mode, so the main file is made 0600 before
            // SQLite first opens it, and any sidecar left by an older run is tightened too.
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (!File.Exists(full))
            {
                using var created = new FileStream(full, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, UnixCreateMode = ownerOnly });
            }

            foreach (string file in new[] { full, full + "-wal", full + "-shm", full + "-journal" })
            {
                if (File.Exists(file))
                {
                    File.SetUnixFileMode(file, ownerOnly);
                }
            }
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var db = new SqliteDatabase(full, builder.ToString());
        using (var connection = db.OpenConnection())
        {
            Execute(connection, "PRAGMA journal_mode=WAL;");
            Migrate(connection);
        }

        return db;
    }

    /// <summary>Opens a pooled connection with the per-connection settings applied.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;");
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> as part of the next group commit: inside its own savepoint of
    /// one IMMEDIATE transaction. Completes after that transaction committed; if the work throws,
    /// its writes are rolled back and the exception is rethrown here.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return _writer.EnqueueAsync(work, cancellationToken);
    }

    /// <summary>Runs a read.</summary>
    public T Read<T>(Func<SqliteConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var connection = OpenConnection();
        return work(connection);
    }

    /// <summary>True when the database answers a trivial query.</summary>
    public bool Ping()
    {
        try
        {
            return Read(c =>
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT 1";
                return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
            });
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>The schema version applied.</summary>
    public int SchemaVersion() => Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    });

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken) => Task.FromResult(Ping());

    /// <inheritdoc />
    public Task<int> SchemaVersionAsync(CancellationToken cancellationToken) => Task.FromResult(SchemaVersion());

    private static void Migrate(SqliteConnection connection)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL) STRICT;");
        int current;
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            current = Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        foreach (var (version, name, sql) in LoadMigrations())
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction(deferred: false);

            // Another process may have applied it while we waited for the write lock: re-check inside the transaction.
            using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT COUNT(*) FROM schema_version WHERE version = $v";
                check.Parameters.AddWithValue("$v", version);
                if (Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture) > 0)
                {
                    transaction.Commit();
                    continue;
                }
            }

            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = transaction;
                cmd.CommandText = sql;
                cmd.ExecuteNonQuery();
            }

            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = transaction;
                cmd.CommandText = "INSERT INTO schema_version (version, name, applied_at_ms) VALUES ($v, $n, $t)";
                cmd.Parameters.AddWithValue("$v", version);
                cmd.Parameters.AddWithValue("$n", name);
                cmd.Parameters.AddWithValue("$t", TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
                cmd.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private static IEnumerable<(int Version, string Name, string Sql)> LoadMigrations()
    {
        const string prefix = "Tessera.Storage.Sqlite.Migrations.";
        var assembly = Assembly.GetExecutingAssembly();
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (var resource in names)
        {
            string name = resource[prefix.Length..^4];
            int version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name, reader.ReadToEnd());
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }
}
