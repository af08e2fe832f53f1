using System.Data;
using Npgsql;
using Tessera.Audit;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Reads the audit chain straight from a PostgreSQL database, in one read-only snapshot, without
/// migrating or creating anything: what offline verification (<c>tessera audit verify --db</c>) needs.
/// </summary>
public static class PostgreSqlAuditReader
{
    /// <summary>Every event in sequence order, and every checkpoint, from one snapshot.</summary>
    /// <exception cref="FormatException">Not a PostgreSQL URL or connection string.</exception>
    /// <exception cref="NpgsqlException">The database could not be read.</exception>
    public static async Task<(List<AuditEvent> Events, List<AuditCheckpoint> Checkpoints)> ReadAllAsync(string connectionStringOrUrl, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize(connectionStringOrUrl)) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        // Repeatable read: the events and the checkpoints come from the same instant, even while brokers append.
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using (var setReadOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, snapshot))
        {
            await setReadOnly.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var probe = new NpgsqlCommand("SELECT to_regclass('audit_events') IS NOT NULL", connection, snapshot))
        {
            if (await probe.ExecuteScalarAsync(cancellationToken) is not true)
            {
                throw new InvalidOperationException("the database has no Tessera audit chain (table audit_events not found)");
            }
        }

        List<AuditEvent> events;
        await using (var cmd = new NpgsqlCommand(PostgreSqlAuditStore.Select + " ORDER BY seq", connection, snapshot))
        {
            events = await PostgreSqlAuditStore.ReadEventsAsync(cmd, cancellationToken);
        }

        await using var checkpoints = new NpgsqlCommand(PostgreSqlAuditStore.SelectCheckpoints, connection, snapshot);
        return (events, await PostgreSqlAuditStore.ReadCheckpointsAsync(checkpoints, cancellationToken));
    }
}
