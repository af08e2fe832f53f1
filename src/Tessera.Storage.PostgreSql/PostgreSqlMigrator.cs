using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Applies the versioned migrations embedded in this assembly (<c>Migrations/NNNN_name.sql</c>),
/// each in its own transaction, recording them in <c>schema_migrations</c>. The whole check runs
/// under a session advisory lock, so replicas that start together apply each migration once and
/// none of them serves on a half-built schema.
/// </summary>
internal static class PostgreSqlMigrator
{
    private const string ResourcePrefix = "Tessera.Storage.PostgreSql.Migrations.";

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLocks.Migrations})", cancellationToken);
        try
        {
            await ExecuteAsync(
                connection,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken);
            int current = await CurrentVersionAsync(connection, cancellationToken);
            foreach (var (version, name, sql) in LoadMigrations())
            {
                if (version <= current)
                {
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var migrate = new NpgsqlCommand(sql, connection, transaction))
                {
                    await migrate.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (@v, @n)", connection, transaction))
                {
                    record.Parameters.AddWithValue("v", version);
                    record.Parameters.AddWithValue("n", name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            try
            {
                // A pooled connection is not closed when disposed: release the lock explicitly.
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLocks.Migrations})", CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection broke; the server released the lock with the session.
            }
        }
    }

    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await CurrentVersionAsync(connection, cancellationToken);
    }

    /// <summary>Every embedded migration, in version order.</summary>
    public static IEnumerable<(int Version, string Name, string Sql)> LoadMigrations()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var names = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        foreach (string resource in names)
        {
            string name = resource[ResourcePrefix.Length..^4];
            int version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name, reader.ReadToEnd());
        }
    }

    private static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
