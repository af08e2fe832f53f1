using System.Globalization;
using Npgsql;
using Tessera.Audit;
using Tessera.Storage.Audit;

namespace Tessera.Storage.PostgreSql;

/// <summary>The audit chain in PostgreSQL: appends go through the group-committing <see cref="PostgreSqlAuditWriter"/>.</summary>
public sealed class PostgreSqlAuditStore(PostgreSqlDatabase database) : IAuditStore
{
    internal const string Select = """
        SELECT seq, id, timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash
        FROM audit_events
        """;

    internal const string SelectCheckpoints = "SELECT seq, hash, kid, alg, signature, created_at_ms FROM audit_checkpoints ORDER BY seq";

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> AppendAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        return database.AuditWriter.AppendAsync(drafts, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("SELECT COUNT(*) FROM audit_events");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEvent>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand(Select + " WHERE seq > @after ORDER BY seq LIMIT @limit");
        cmd.Parameters.AddWithValue("after", afterSequence);
        cmd.Parameters.AddWithValue("limit", limit);
        return await ReadEventsAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<AuditEvent> Events, long Total)> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        await using var count = database.DataSource.CreateCommand();
        await using var page = database.DataSource.CreateCommand();
        void Filter(string column, string op, string name, object? value)
        {
            if (value is null)
            {
                return;
            }

            where.Add($"{column} {op} @{name}");
            count.Parameters.AddWithValue(name, value);
            page.Parameters.AddWithValue(name, value);
        }

        Filter("agent_id", "=", "agent", query.AgentId);
        Filter("task_id", "=", "task", query.TaskId);
        Filter("event_type", "=", "type", query.EventType);
        Filter("outcome", "=", "outcome", query.Outcome);
        Filter("timestamp_ms", ">=", "since", query.SinceMs);
        Filter("timestamp_ms", "<=", "until", query.UntilMs);
        string clause = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
        count.CommandText = "SELECT COUNT(*) FROM audit_events" + clause;
        long total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        page.CommandText = Select + clause + " ORDER BY seq LIMIT @limit OFFSET @offset";
        page.Parameters.AddWithValue("limit", query.Limit);
        page.Parameters.AddWithValue("offset", query.Offset);
        return (await ReadEventsAsync(page, cancellationToken), total);
    }

    /// <inheritdoc />
    public async Task<AuditEvent?> HeadAsync(CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand(Select + " ORDER BY seq DESC LIMIT 1");
        var events = await ReadEventsAsync(cmd, cancellationToken);
        return events.Count == 0 ? null : events[0];
    }

    /// <inheritdoc />
    public async Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var cmd = database.DataSource.CreateCommand("""
            INSERT INTO audit_checkpoints (seq, hash, kid, alg, signature, created_at_ms) VALUES (@s, @h, @k, @a, @sig, @t)
            ON CONFLICT (seq) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("s", checkpoint.Sequence);
        cmd.Parameters.AddWithValue("h", checkpoint.Hash);
        cmd.Parameters.AddWithValue("k", checkpoint.KeyId);
        cmd.Parameters.AddWithValue("a", checkpoint.Algorithm);
        cmd.Parameters.AddWithValue("sig", checkpoint.Signature);
        cmd.Parameters.AddWithValue("t", checkpoint.CreatedAtMs);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand(SelectCheckpoints);
        return await ReadCheckpointsAsync(cmd, cancellationToken);
    }

    internal static async Task<List<AuditCheckpoint>> ReadCheckpointsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AuditCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new AuditCheckpoint(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }

        return list;
    }

    internal static async Task<List<AuditEvent>> ReadEventsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<AuditEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new AuditEvent
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

        return list;
    }
}
