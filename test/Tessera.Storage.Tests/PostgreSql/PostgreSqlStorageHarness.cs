using Tessera.Storage.PostgreSql;
using Tessera.Storage.Tests.Infrastructure;

namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>
/// A fresh PostgreSQL database of its own. Each <see cref="OpenIndependentHandle"/> is a separate
/// <see cref="PostgreSqlDatabase"/> (its own pool and audit writer) on that database: two of them
/// contend only through the server, exactly like two broker replicas.
/// </summary>
public sealed class PostgreSqlStorageHarness : IStorageHarness
{
    private readonly List<PostgreSqlDatabase> _databases = [];
    private readonly Lock _sync = new();

    public PostgreSqlStorageHarness()
    {
        DatabaseName = PostgreSqlTestServer.CreateDatabase();
        ConnectionString = PostgreSqlTestServer.ConnectionStringFor(DatabaseName);
        Database = Track(PostgreSqlDatabase.Open(ConnectionString));
        Primary = StoresOver(Database);
    }

    public string DatabaseName { get; }

    public string ConnectionString { get; }

    /// <summary>The primary handle.</summary>
    public PostgreSqlDatabase Database { get; }

    public StoreSet Primary { get; }

    public StoreSet OpenIndependentHandle() => StoresOver(Track(PostgreSqlDatabase.Open(ConnectionString)));

    /// <summary>Another <see cref="PostgreSqlDatabase"/> on the same database, as another replica holds.</summary>
    public PostgreSqlDatabase OpenIndependentDatabase() => Track(PostgreSqlDatabase.Open(ConnectionString));

    public static StoreSet StoresOver(PostgreSqlDatabase database)
    {
        var agents = new PostgreSqlAgentStore(database);
        return new StoreSet(
            new PostgreSqlLaunchTokenStore(database),
            new PostgreSqlNonceStore(database),
            agents,
            agents,
            new PostgreSqlRevocationStore(database),
            new PostgreSqlAuditStore(database),
            new PostgreSqlClientStore(database),
            new PostgreSqlPlatformStore(database),
            new PostgreSqlAssertionReplayStore(database),
            new PostgreSqlAgentInventory(database));
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

        PostgreSqlTestServer.DropDatabase(DatabaseName);
    }

    private PostgreSqlDatabase Track(PostgreSqlDatabase database)
    {
        lock (_sync)
        {
            _databases.Add(database);
        }

        return database;
    }
}
