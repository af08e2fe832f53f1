using Microsoft.Data.Sqlite;
using Tessera.Audit;

namespace Tessera.Storage.Sqlite;

/// <summary>
/// Reads the audit chain straight from a database file, read-only and without migrating or
/// creating anything: what offline verification (<c>tessera audit verify --db</c>) needs.
/// </summary>
public static class SqliteAuditReader
{
    /// <summary>Every event in sequence order, and every checkpoint.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static (List<AuditEvent> Events, List<AuditCheckpoint> Checkpoints) ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("database file not found", path);
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(path), Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();

        // One read transaction: events and checkpoints come from the same snapshot.
        using var snapshot = connection.BeginTransaction(deferred: true);
        List<AuditEvent> events;
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = SqliteAuditStore.Select + " ORDER BY seq";
            events = SqliteAuditStore.ReadEvents(cmd);
        }

        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'";
            if (cmd.ExecuteScalar() is null)
            {
                return (events, []);
            }
        }

        using (var checkpointsCommand = connection.CreateCommand())
        {
            checkpointsCommand.CommandText = SqliteAuditStore.SelectCheckpoints;
            return (events, SqliteAuditStore.ReadCheckpoints(checkpointsCommand));
        }
    }
}
