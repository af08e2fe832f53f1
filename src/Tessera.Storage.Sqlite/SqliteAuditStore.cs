using System.Globalization;
using Microsoft.Data.Sqlite;
using Tessera.Audit;
using Tessera.Storage.Audit;

namespace Tessera.Storage.Sqlite;

/// <summary>The audit chain in SQLite. The head is read inside the write transaction, so the chain stays linear.</summary>
public sealed class SqliteAuditStore(SqliteDatabase database) : IAuditStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> AppendAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        return database.WriteAsync<IReadOnlyList<AuditEvent>>(
            (connection, transaction) =>
            {
                long seq = 0;
                string prev = AuditChain.GenesisHash;
                using (var head = connection.CreateCommand())
                {
                    head.Transaction = transaction;
                    head.CommandText = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";
                    using var reader = head.ExecuteReader();
                    if (reader.Read())
                    {
                        seq = reader.GetInt64(0);
                        prev = reader.GetString(1);
                    }
                }

                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO audit_events (seq, id, timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash)
                    VALUES ($seq, $id, $ts, $type, $agent, $task, $orch, $detail, $resource, $outcome, $depth, $chain, $prev, $hash)
                    """;
                var pSeq = insert.Parameters.Add("$seq", SqliteType.Integer);
                var pId = insert.Parameters.Add("$id", SqliteType.Text);
                var pTs = insert.Parameters.Add("$ts", SqliteType.Integer);
                var pType = insert.Parameters.Add("$type", SqliteType.Text);
                var pAgent = insert.Parameters.Add("$agent", SqliteType.Text);
                var pTask = insert.Parameters.Add("$task", SqliteType.Text);
                var pOrch = insert.Parameters.Add("$orch", SqliteType.Text);
                var pDetail = insert.Parameters.Add("$detail", SqliteType.Text);
                var pResource = insert.Parameters.Add("$resource", SqliteType.Text);
                var pOutcome = insert.Parameters.Add("$outcome", SqliteType.Text);
                var pDepth = insert.Parameters.Add("$depth", SqliteType.Integer);
                var pChain = insert.Parameters.Add("$chain", SqliteType.Text);
                var pPrev = insert.Parameters.Add("$prev", SqliteType.Text);
                var pHash = insert.Parameters.Add("$hash", SqliteType.Text);
                insert.Prepare();

                var stored = new List<AuditEvent>(drafts.Count);
                foreach (var d in drafts)
                {
                    seq++;
                    string id = AuditChain.IdFor(seq);
                    string hash = AuditChain.ComputeHash(prev, id, d.TimestampMs, d.EventType, d.AgentId, d.TaskId, d.OrchId, d.Detail, d.Resource, d.Outcome, d.DelegDepth, d.DelegChainHash);
                    pSeq.Value = seq;
                    pId.Value = id;
                    pTs.Value = d.TimestampMs;
                    pType.Value = d.EventType;
                    pAgent.Value = d.AgentId;
                    pTask.Value = d.TaskId;
                    pOrch.Value = d.OrchId;
                    pDetail.Value = d.Detail;
                    pResource.Value = d.Resource;
                    pOutcome.Value = d.Outcome;
                    pDepth.Value = d.DelegDepth;
                    pChain.Value = d.DelegChainHash;
                    pPrev.Value = prev;
                    pHash.Value = hash;
                    insert.ExecuteNonQuery();
                    stored.Add(new AuditEvent
                    {
                        Sequence = seq,
                        Id = id,
                        TimestampMs = d.TimestampMs,
                        EventType = d.EventType,
                        AgentId = d.AgentId,
                        TaskId = d.TaskId,
                        OrchId = d.OrchId,
                        Detail = d.Detail,
                        Resource = d.Resource,
                        Outcome = d.Outcome,
                        DelegDepth = d.DelegDepth,
                        DelegChainHash = d.DelegChainHash,
                        PrevHash = prev,
                        Hash = hash,
                    });
                    prev = hash;
                }

                return stored;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM audit_events";
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }));

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEvent>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditEvent>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Select + " WHERE seq > $after ORDER BY seq LIMIT $limit";
            cmd.Parameters.AddWithValue("$after", afterSequence);
            cmd.Parameters.AddWithValue("$limit", limit);
            return ReadEvents(cmd);
        }));

    /// <inheritdoc />
    public Task<(IReadOnlyList<AuditEvent> Events, long Total)> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Task.FromResult(database.Read(connection =>
        {
            var where = new List<string>();
            using var count = connection.CreateCommand();
            using var page = connection.CreateCommand();
            void Filter(string column, string op, string name, object? value)
            {
                if (value is null)
                {
                    return;
                }

                where.Add($"{column} {op} {name}");
                count.Parameters.AddWithValue(name, value);
                page.Parameters.AddWithValue(name, value);
            }

            Filter("agent_id", "=", "$agent", query.AgentId);
            Filter("task_id", "=", "$task", query.TaskId);
            Filter("event_type", "=", "$type", query.EventType);
            Filter("outcome", "=", "$outcome", query.Outcome);
            Filter("timestamp_ms", ">=", "$since", query.SinceMs);
            Filter("timestamp_ms", "<=", "$until", query.UntilMs);
            string clause = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
            count.CommandText = "SELECT COUNT(*) FROM audit_events" + clause;
            long total = Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
            page.CommandText = Select + clause + " ORDER BY seq LIMIT $limit OFFSET $offset";
            page.Parameters.AddWithValue("$limit", query.Limit);
            page.Parameters.AddWithValue("$offset", query.Offset);
            return ((IReadOnlyList<AuditEvent>)ReadEvents(page), total);
        }));
    }

    /// <inheritdoc />
    public Task<AuditEvent?> HeadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Select + " ORDER BY seq DESC LIMIT 1";
            var events = ReadEvents(cmd);
            return events.Count == 0 ? null : events[0];
        }));

    /// <inheritdoc />
    public Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    INSERT INTO audit_checkpoints (seq, hash, kid, alg, signature, created_at_ms) VALUES ($s, $h, $k, $a, $sig, $t)
                    ON CONFLICT (seq) DO NOTHING
                    """;
                cmd.Parameters.AddWithValue("$s", checkpoint.Sequence);
                cmd.Parameters.AddWithValue("$h", checkpoint.Hash);
                cmd.Parameters.AddWithValue("$k", checkpoint.KeyId);
                cmd.Parameters.AddWithValue("$a", checkpoint.Algorithm);
                cmd.Parameters.AddWithValue("$sig", checkpoint.Signature);
                cmd.Parameters.AddWithValue("$t", checkpoint.CreatedAtMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<AuditCheckpoint>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = SelectCheckpoints;
            return ReadCheckpoints(cmd);
        }));

    internal const string SelectCheckpoints = "SELECT seq, hash, kid, alg, signature, created_at_ms FROM audit_checkpoints ORDER BY seq";

    internal static List<AuditCheckpoint> ReadCheckpoints(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<AuditCheckpoint>();
        while (reader.Read())
        {
            list.Add(new AuditCheckpoint(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }

        return list;
    }

    internal const string Select = """
        SELECT seq, id, timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash
        FROM audit_events
        """;

    internal static List<AuditEvent> ReadEvents(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<AuditEvent>();
        while (reader.Read())
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
