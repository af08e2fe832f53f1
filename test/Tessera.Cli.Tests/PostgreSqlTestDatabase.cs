using Npgsql;
using Tessera.Storage.PostgreSql;

namespace Tessera.Cli.Tests;

/// <summary>
/// A test that needs the PostgreSQL server named by <c>TESSERA_TEST_PG</c> (scripts/test.sh starts
/// one). Without it the test is skipped on a developer's machine, and fails in CI (<c>CI</c> set).
/// </summary>
internal sealed class PostgreSqlFactAttribute : FactAttribute
{
    public PostgreSqlFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgreSqlTestDatabase.Variable)) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "TESSERA_TEST_PG is not set: run scripts/test.sh (it starts a throwaway PostgreSQL) or point TESSERA_TEST_PG at a server";
        }
    }
}

/// <summary>A new, empty database on the <c>TESSERA_TEST_PG</c> server, dropped on dispose.</summary>
internal sealed class PostgreSqlTestDatabase : IAsyncDisposable
{
    public const string Variable = "TESSERA_TEST_PG";

    private readonly string _admin;
    private readonly string _name;

    private PostgreSqlTestDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        ConnectionString = builder.ConnectionString;
        string user = Uri.EscapeDataString(builder.Username ?? "");
        string password = builder.Password is null ? "" : ":" + Uri.EscapeDataString(builder.Password);
        Url = $"postgres://{user}{password}@{builder.Host}:{builder.Port}/{name}";
    }

    /// <summary>The database as a <c>postgres://</c> URL.</summary>
    public string Url { get; }

    /// <summary>The database as an Npgsql connection string.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgreSqlTestDatabase> CreateAsync()
    {
        string server = Environment.GetEnvironmentVariable(Variable)
            ?? throw new InvalidOperationException($"CI must run the PostgreSQL tests: {Variable} is not set");
        string admin = new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize(server)) { Pooling = false }.ConnectionString;
        var database = new PostgreSqlTestDatabase(admin, "tessera_cli_" + Guid.NewGuid().ToString("N"));
        await ExecuteAsync(admin, $"CREATE DATABASE \"{database._name}\"");
        return database;
    }

    /// <summary>Runs one statement in the database.</summary>
    public Task ExecuteAsync(string sql) => ExecuteAsync(ConnectionString, sql);

    public async ValueTask DisposeAsync() => await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)");

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }
}
