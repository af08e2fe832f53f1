using Tessera.Storage.Sqlite;
using Tessera.Storage.Tests.Infrastructure;

namespace Tessera.Storage.Tests.Sqlite;

/// <summary>
/// A fresh SQLite database file in its own temp directory. Each <see cref="OpenIndependentHandle"/>
/// is a separate <see cref="SqliteDatabase"/> on the same file, with its own write gate: two of
/// them contend only through SQLite's file locks, exactly like two broker processes.
/// </summary>
public sealed class SqliteStorageHarness : IStorageHarness
{
    private readonly List<SqliteDatabase> _databases = [];
    private readonly Lock _sync = new();

    public SqliteStorageHarness()
    {
        DirectoryPath = Directory.CreateTempSubdirectory("tessera-storage-tests-").FullName;
        DatabasePath = Path.Combine(DirectoryPath, "tessera.db");
        Database = Track(SqliteDatabase.Open(DatabasePath));
        Primary = StoresOver(Database);
    }

    public string DirectoryPath { get; }

    public string DatabasePath { get; }

    /// <summary>The primary handle.</summary>
    public SqliteDatabase Database { get; }

    public StoreSet Primary { get; }

    public StoreSet OpenIndependentHandle() => StoresOver(Track(SqliteDatabase.Open(DatabasePath)));

    public static StoreSet StoresOver(SqliteDatabase database)
    {
        var agents = new SqliteAgentStore(database);
        return new StoreSet(
            new SqliteLaunchTokenStore(database),
            new SqliteNonceStore(database),
            agents,
            agents,
            new SqliteRevocationStore(database),
            new SqliteAuditStore(database),
            new SqliteClientStore(database),
            new SqlitePlatformStore(database),
            new SqliteAssertionReplayStore(database),
            new SqliteAgentInventory(database));
    }

    public void Dispose()
    {
        lock (_sync)
        {
            foreach (var database in _databases)
            {
                database.Dispose();
            }

            _databases.Clear();
        }

        DeleteDirectory(DirectoryPath);
    }

    /// <summary>Best-effort recursive delete (a pooled connection of a parallel test may still hold a handle briefly on Windows).</summary>
    public static void DeleteDirectory(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 5)
            {
                Thread.Sleep(100);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private SqliteDatabase Track(SqliteDatabase database)
    {
        lock (_sync)
        {
            _databases.Add(database);
        }

        return database;
    }
}
