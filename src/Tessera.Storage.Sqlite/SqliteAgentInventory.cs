using System.Text.Json;
using Microsoft.Data.Sqlite;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.Sqlite;

/// <summary>
/// The agent inventory in SQLite: both agent tables as one <c>UNION ALL</c>, filtered, ordered by
/// (created_at_ms, agent_id) and cut after the cursor, with the total and the credential agents'
/// grants (as JSON) in the same statement.
/// </summary>
public sealed class SqliteAgentInventory(SqliteDatabase database) : IAgentInventory
{
    // Filters sit in each branch so that each table's index on (created_at_ms, id) serves the order.
    private const string Sql = """
        WITH inv AS (
            SELECT 'registered' AS kind, agent_id, '' AS key_id, agent_name AS name, status, app_id, orch_id, task_id, created_at_ms,
                   '' AS owner, '{}' AS metadata, '' AS status_reason, 0 AS token_ttl, '' AS jwks, 0 AS secret_enabled,
                   0 AS consecutive_denials, created_at_ms AS updated_at_ms, NULL AS previous_valid_until_ms,
                   last_seen_at_ms
            FROM agents
            WHERE ($kind IS NULL OR $kind = 'registered')
            UNION ALL
            SELECT 'credential', entity_id, client_id, name, status, '', '', '', created_at_ms,
                   owner, metadata, status_reason, token_ttl, jwks, secret_enabled, consecutive_denials, updated_at_ms, previous_valid_until_ms,
                   last_seen_at_ms
            FROM clients
            WHERE kind = 'agent' AND ($kind IS NULL OR $kind = 'credential')
        ),
        matching AS (
            SELECT * FROM inv
            WHERE ($status IS NULL OR status = $status)
              AND ($app IS NULL OR app_id = $app)
              AND ($orch IS NULL OR orch_id = $orch)
              AND ($task IS NULL OR task_id = $task)
              AND ($q IS NULL OR lower(name) LIKE $q ESCAPE '\' OR lower(agent_id) LIKE $q ESCAPE '\' OR lower(key_id) LIKE $q ESCAPE '\')
        )
        SELECT m.kind, m.agent_id, m.key_id, m.name, m.status, m.app_id, m.orch_id, m.task_id, m.created_at_ms,
               m.owner, m.metadata, m.status_reason, m.token_ttl, m.jwks, m.secret_enabled, m.consecutive_denials, m.updated_at_ms, m.previous_valid_until_ms,
               CASE WHEN m.kind = 'credential' THEN (
                   SELECT json_group_array(json_array(g.platform_id, json(g.scopes), g.updated_at_ms))
                   FROM (SELECT * FROM grants WHERE agent_id = m.agent_id ORDER BY platform_id) g) ELSE '[]' END,
               (SELECT COUNT(*) FROM matching),
               m.last_seen_at_ms
        FROM matching m
        WHERE $after_ms IS NULL OR m.created_at_ms > $after_ms OR (m.created_at_ms = $after_ms AND m.agent_id > $after_id)
        ORDER BY m.created_at_ms, m.agent_id
        LIMIT $limit
        """;

    /// <inheritdoc />
    public Task<AgentInventoryPage> ListAsync(AgentInventoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Sql;
            Add(cmd, "$kind", query.Kind);
            Add(cmd, "$status", query.Status);
            Add(cmd, "$app", query.AppId);
            Add(cmd, "$orch", query.OrchId);
            Add(cmd, "$task", query.TaskId);
            Add(cmd, "$q", query.SearchPattern);
            cmd.Parameters.AddWithValue("$after_ms", query.After is { } a ? a.CreatedAtMs : DBNull.Value);
            Add(cmd, "$after_id", query.After?.AgentId);
            cmd.Parameters.AddWithValue("$limit", query.Limit + 1);
            using var reader = cmd.ExecuteReader();
            var agents = new List<AgentInventoryEntry>(query.Limit + 1);
            long total = 0;
            while (reader.Read())
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
                        SecretEnabled = reader.GetInt64(14) != 0,
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
        }));
    }

    /// <inheritdoc />
    public Task RecordSeenAsync(IReadOnlyCollection<AgentSeen> seen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seen);
        if (seen.Count == 0)
        {
            return Task.CompletedTask;
        }

        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var agents = connection.CreateCommand();
                agents.Transaction = transaction;
                agents.CommandText = "UPDATE agents SET last_seen_at_ms = max(coalesce(last_seen_at_ms, 0), $at) WHERE agent_id = $id";
                var agentId = agents.Parameters.Add("$id", SqliteType.Text);
                var agentAt = agents.Parameters.Add("$at", SqliteType.Integer);
                using var clients = connection.CreateCommand();
                clients.Transaction = transaction;
                clients.CommandText = "UPDATE clients SET last_seen_at_ms = max(coalesce(last_seen_at_ms, 0), $at) WHERE entity_id = $id AND kind = 'agent'";
                var clientId = clients.Parameters.Add("$id", SqliteType.Text);
                var clientAt = clients.Parameters.Add("$at", SqliteType.Integer);
                foreach (var s in seen)
                {
                    agentId.Value = s.AgentId;
                    agentAt.Value = s.AtMs;
                    if (agents.ExecuteNonQuery() == 0)
                    {
                        clientId.Value = s.AgentId;
                        clientAt.Value = s.AtMs;
                        clients.ExecuteNonQuery();
                    }
                }

                return true;
            },
            cancellationToken);
    }

    private static void Add(SqliteCommand cmd, string name, string? value) =>
        cmd.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);

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
