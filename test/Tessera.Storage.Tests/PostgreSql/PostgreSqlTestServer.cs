using Npgsql;
using Tessera.Storage.PostgreSql;

namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>
/// The PostgreSQL server the tests use, named by <c>TESSERA_TEST_PG</c> (an Npgsql connection
/// string or a <c>postgres://</c> URL; <c>scripts/test.sh</c> starts a throwaway one when unset).
/// Each test gets its own database, cloned from a template migrated once per run, and dropped
/// afterwards: tests never see each other's rows or advisory locks.
/// </summary>
public static class PostgreSqlTestServer
{
    public const string Variable = "TESSERA_TEST_PG";

    private static readonly string RunId = $"{Environment.ProcessId}_{Guid.NewGuid():N}"[..24];
    private static readonly Lazy<string> Template = new(CreateTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _counter;

    /// <summary>True in CI, where a missing server is a failure, never a skip.</summary>
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>True when a server is configured.</summary>
    public static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Why PostgreSQL tests cannot run here, for a skip or a failure message.</summary>
    public static string NotConfiguredMessage =>
        $"{Variable} is not set: the PostgreSQL store tests need a server. Run scripts/test.sh (it starts a throwaway PostgreSQL), " +
        $"or set {Variable} to a connection string or postgres:// URL of a server where the user may create databases.";

    /// <summary>The server's connection string, with a bounded pool (many tests run at once).</summary>
    public static string ServerConnectionString
    {
        get
        {
            string? value = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException((InCi ? "CI must run the PostgreSQL tests. " : "") + NotConfiguredMessage);
            }

            return new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize(value)) { MaxPoolSize = 10, Timeout = 60 }.ConnectionString;
        }
    }

    /// <summary>Connection string of <paramref name="database"/> on the server.</summary>
    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString;

    /// <summary>A new, migrated, empty database; its name.</summary>
    public static string CreateDatabase()
    {
        string name = NewName("t");
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE \"{Template.Value}\"");
        return name;
    }

    /// <summary>A new database without any schema; its name.</summary>
    public static string CreateEmptyDatabase()
    {
        string name = NewName("e");
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'");
        return name;
    }

    /// <summary>Drops a database made by this class, closing any connection still on it.</summary>
    public static void DropDatabase(string name) => Admin($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    private static string NewName(string kind) => $"tessera_{kind}_{RunId}_{Interlocked.Increment(ref _counter)}";

    private static string CreateTemplate()
    {
        string name = NewName("tmpl");
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                DropDatabase(name);
            }
            catch (NpgsqlException)
            {
                // Best effort: a throwaway server goes away anyway.
            }
        };

        // Open migrates; disposing closes every connection, as cloning needs.
        PostgreSqlDatabase.Open(ConnectionStringFor(name)).Dispose();
        return name;
    }

    private static void Admin(string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false };
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }
}
