using Npgsql;
using Tessera.Storage.PostgreSql;

namespace Tessera.ReplicaBench;

/// <summary>A new, empty database on the given PostgreSQL server for this run, dropped on dispose.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private BenchDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>The fresh database, as an Npgsql connection string (what <c>TESSERA_DB</c> accepts).</summary>
    public string ConnectionString { get; }

    /// <summary>The server's version string, for the report.</summary>
    public string ServerVersion { get; private set; } = "";

    /// <param name="server">A <c>postgres://</c> URL or an Npgsql connection string of the server.</param>
    public static async Task<BenchDatabase> CreateAsync(string server)
    {
        string admin = new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize(server)) { Pooling = false }.ConnectionString;
        var database = new BenchDatabase(admin, "tessera_replica_bench_" + Guid.NewGuid().ToString("N"));
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        database.ServerVersion = connection.PostgreSqlVersion.ToString();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database._name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
