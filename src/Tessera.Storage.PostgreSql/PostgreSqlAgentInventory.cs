using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// The agent inventory in PostgreSQL: both agent tables as one <c>UNION ALL</c>, filtered, ordered
/// by (created_at_ms, agent_id) in the "C" collation and cut after the cursor, with the total and
/// the credential agents' grants (as JSON) in the same statement.
/// </summary>
public sealed class PostgreSqlAgentInventory(PostgreSqlDatabase database) : IAgentInventory
{
    private const string Sql = """
        WITH inv AS (
            SELECT 'registered'::text AS kind, agent_id COLLATE "C" AS agent_id, ''::text COLLATE "C" AS key_id, agent_name AS name, status,
                   app_id, orch_id, task_id, created_at_ms,
                   ''::text AS owner, '{}'::text AS metadata, ''::text AS status_reason, 0 AS token_ttl, ''::text AS jwks, false AS secret_enabled,
                   0 AS consecutive_denials, created_at_ms AS updated_at_ms, NULL::bigint AS previous_valid_until_ms,
                   last_seen_at_ms
            FROM agents
            WHERE (@kind::text IS NULL OR @kind::text = 'registered')
            UNION ALL
            SELECT 'credential', entity_id COLLATE "C", client_id COLLATE "C", name, status, '', '', '', created_at_ms,
                   owner, metadata, status_reason, token_ttl, jwks, secret_enabled, consecutive_denials, updated_at_ms, previous_valid_until_ms,
                   last_seen_at_ms
            FROM clients
            WHERE kind = 'agent' AND (@kind::text IS NULL OR @kind::text = 'credential')
        ),
        matching AS (
            SELECT * FROM inv
            WHERE (@status::text IS NULL OR status = @status::text)
              AND (@app::text IS NULL OR app_id = @app::text)
              AND (@orch::text IS NULL OR orch_id = @orch::text)
              AND (@task::text IS NULL OR task_id = @task::text)
              AND (@q::text IS NULL OR lower(name) LIKE @q::text ESCAPE '\' OR lower(agent_id) LIKE @q::text ESCAPE '\' OR lower(key_id) LIKE @q::text ESCAPE '\')
        )
        SELECT m.kind, m.agent_id, m.key_id, m.name, m.status, m.app_id, m.orch_id, m.task_id, m.created_at_ms,
               m.owner, m.metadata, m.status_reason, m.token_ttl, m.jwks, m.secret_enabled, m.consecutive_denials, m.updated_at_ms, m.previous_valid_until_ms,
               CASE WHEN m.kind = 'credential' THEN (
                   SELECT coalesce(json_agg(json_build_array(g.platform_id, g.scopes, g.updated_at_ms) ORDER BY g.platform_id), '[]'::json)::text
                   FROM grants g WHERE g.agent_id = m.agent_id) ELSE '[]' END,
               (SELECT COUNT(*) FROM matching),
               m.last_seen_at_ms
        FROM matching m
        WHERE @after_ms::bigint IS NULL OR m.created_at_ms > @after_ms::bigint OR (m.created_at_ms = @after_ms::bigint AND m.agent_id > @after_id::text COLLATE "C")
        ORDER BY m.created_at_ms, m.agent_id
        LIMIT @limit
        """;

    /// <inheritdoc />
    public async Task<AgentInventoryPage> ListAsync(AgentInventoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var cmd = database.DataSource.CreateCommand(Sql);
        Add(cmd, "kind", query.Kind);
        Add(cmd, "status", query.Status);
        Add(cmd, "app", query.AppId);
        Add(cmd, "orch", query.OrchId);
        Add(cmd, "task", query.TaskId);
        Add(cmd, "q", query.SearchPattern);
        cmd.Parameters.Add(new NpgsqlParameter("after_ms", NpgsqlDbType.Bigint) { Value = query.After is { } a ? a.CreatedAtMs : DBNull.Value });
        Add(cmd, "after_id", query.After?.AgentId);
        cmd.Parameters.AddWithValue("limit", query.Limit + 1);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var agents = new List<AgentInventoryEntry>(query.Limit + 1);
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            total = reader.GetInt64(19);
            string kind = reader.GetString(0);
            string agentId = reader.GetString(1);
            bool credential = kind == AgentInventoryKinds.Credential;
            agents.Add(new AgentInventoryEntry
            {
                Kind = kind,
                AgentId = agentId,
                Name = reader.GetString(3),
                Status = reader.GetString(4),
                AppId = reader.GetString(5),
                OrchId = reader.GetString(6),
                TaskId = reader.GetString(7),
                CreatedAtMs = reader.GetInt64(8),
                LastSeenAtMs = reader.IsDBNull(20) ? null : reader.GetInt64(20),
                Credential = !credential ? null : new ClientRecord
                {
                    ClientId = reader.GetString(2),
                    Kind = "agent",
                    EntityId = agentId,
                    Name = reader.GetString(3),
                    SecretHash = [],
                    Scopes = [],
                    Status = reader.GetString(4),
                    CreatedAtMs = reader.GetInt64(8),
                    Owner = reader.GetString(9),
                    MetadataJson = reader.GetString(10),
                    StatusReason = reader.GetString(11),
                    TokenTtl = reader.GetInt32(12),
                    Jwks = reader.GetString(13),
                    SecretEnabled = reader.GetBoolean(14),
                    ConsecutiveDenials = reader.GetInt32(15),
                    UpdatedAtMs = reader.GetInt64(16),
                    PreviousValidUntilMs = reader.IsDBNull(17) ? null : reader.GetInt64(17),
                },
                Grants = credential ? ReadGrants(agentId, reader.GetString(18)) : [],
            });
        }

        AgentInventoryPosition? next = null;
        if (agents.Count > query.Limit)
        {
            agents.RemoveAt(agents.Count - 1);
            next = agents[^1].Position;
        }

        return new AgentInventoryPage(agents, total, next);
    }

    /// <inheritdoc />
    public async Task RecordSeenAsync(IReadOnlyCollection<AgentSeen> seen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seen);
        if (seen.Count == 0)
        {
            return;
        }

        string[] ids = [.. seen.Select(s => s.AgentId)];
        long[] ats = [.. seen.Select(s => s.AtMs)];
        // Two statements in one batch, one round trip; GREATEST keeps a later time another replica wrote.
        await using var batch = database.DataSource.CreateBatch();
        var agents = new NpgsqlBatchCommand(
            "UPDATE agents a SET last_seen_at_ms = GREATEST(COALESCE(a.last_seen_at_ms, 0), s.at) FROM unnest(@ids::text[], @ats::bigint[]) AS s(id, at) WHERE a.agent_id = s.id");
        agents.Parameters.AddWithValue("ids", ids);
        agents.Parameters.AddWithValue("ats", ats);
        var clients = new NpgsqlBatchCommand(
            "UPDATE clients c SET last_seen_at_ms = GREATEST(COALESCE(c.last_seen_at_ms, 0), s.at) FROM unnest(@ids::text[], @ats::bigint[]) AS s(id, at) WHERE c.entity_id = s.id AND c.kind = 'agent'");
        clients.Parameters.AddWithValue("ids", ids);
        clients.Parameters.AddWithValue("ats", ats);
        batch.BatchCommands.Add(agents);
        batch.BatchCommands.Add(clients);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(NpgsqlCommand cmd, string name, string? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    /// <summary>Reads <c>[[platform_id, [scopes], updated_at_ms], …]</c>.</summary>
    private static GrantRecord[] ReadGrants(string agentId, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(g => new GrantRecord(
            agentId,
            g[0].GetString()!,
            [.. g[1].EnumerateArray().Select(s => s.GetString()!)],
            g[2].GetInt64()))];
    }
}
