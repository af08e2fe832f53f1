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
        var events = new List<AuditEvent>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = """
                SELECT seq, id, timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash
                FROM audit_events ORDER BY seq
                """;
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                events.Add(new AuditEvent
                {
                    Sequence = reader.GetInt64(0),
                    Id = reader.GetString(1),
                    TimestampMs = reader.GetInt64(2),
                    EventType = reader.GetString(3),
                    AgentId = reader.GetString(4),
                    TaskId = reader.GetString(5),
                    OrchId = reader.GetString(6),
                    Detail = reader.GetString(7),
                    Resource = reader.GetString(8),
                    Outcome = reader.GetString(9),
                    DelegDepth = reader.GetInt32(10),
                    DelegChainHash = reader.GetString(11),
                    PrevHash = reader.GetString(12),
                    Hash = reader.GetString(13),
                });
            }
        }

        var checkpoints = new List<AuditCheckpoint>();
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'";
            if (cmd.ExecuteScalar() is null)
            {
                return (events, checkpoints);
            }
        }

        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, hash, kid, alg, signature, created_at_ms FROM audit_checkpoints ORDER BY seq";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                checkpoints.Add(new AuditCheckpoint(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
            }
        }

        return (events, checkpoints);
    }
}
