using System.Globalization;
using Tessera.Storage.Agents;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Storage.Sqlite;

/// <summary>Agents and the atomic registration transaction in SQLite.</summary>
public sealed class SqliteAgentStore(SqliteDatabase database) : IAgentStore, IRegistrationStore
{
    /// <inheritdoc />
    public Task<LaunchTokenConsumeResult> RegisterAsync(AgentRecord agent, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using (var use = connection.CreateCommand())
                {
                    use.Transaction = transaction;
                    use.CommandText = """
                        UPDATE launch_tokens SET use_count = use_count + 1
                        WHERE token_hash = $h AND expires_at_ms > $now AND (single_use = 0 OR use_count = 0)
                        """;
                    use.Parameters.AddWithValue("$h", agent.LaunchTokenHash);
                    use.Parameters.AddWithValue("$now", nowMs);
                    if (use.ExecuteNonQuery() != 1)
                    {
                        var existing = SqliteLaunchTokenStore.Find(connection, transaction, agent.LaunchTokenHash);
                        return existing is null ? LaunchTokenConsumeResult.NotFound
                            : existing.ExpiresAtMs <= nowMs ? LaunchTokenConsumeResult.Expired
                            : LaunchTokenConsumeResult.AlreadyConsumed;
                    }
                }

                using (var insert = connection.CreateCommand())
                {
                    insert.Transaction = transaction;
                    insert.CommandText = """
                        INSERT INTO agents (agent_id, orch_id, task_id, agent_name, public_key, launch_token_hash, scope, audience, max_ttl, created_at_ms, app_id)
                        VALUES ($id, $o, $t, $n, $k, $h, $s, $a, $m, $c, $app)
                        """;
                    insert.Parameters.AddWithValue("$id", agent.AgentId);
                    insert.Parameters.AddWithValue("$o", agent.OrchId);
                    insert.Parameters.AddWithValue("$t", agent.TaskId);
                    insert.Parameters.AddWithValue("$n", agent.AgentName);
                    insert.Parameters.AddWithValue("$k", agent.PublicKey);
                    insert.Parameters.AddWithValue("$h", agent.LaunchTokenHash);
                    insert.Parameters.AddWithValue("$s", StorageJson.Write(agent.Scope));
                    insert.Parameters.AddWithValue("$a", StorageJson.Write(agent.Audience));
                    insert.Parameters.AddWithValue("$m", agent.MaxTtl);
                    insert.Parameters.AddWithValue("$c", agent.CreatedAtMs);
                    insert.Parameters.AddWithValue("$app", agent.AppId);
                    insert.ExecuteNonQuery();
                }

                return LaunchTokenConsumeResult.Consumed;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<AgentRecord?> FindAsync(string agentId, CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                SELECT orch_id, task_id, agent_name, public_key, launch_token_hash, scope, audience, max_ttl, created_at_ms, status, app_id
                FROM agents WHERE agent_id = $id
                """;
            cmd.Parameters.AddWithValue("$id", agentId);
            using var reader = cmd.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            return new AgentRecord
            {
                AgentId = agentId,
                OrchId = reader.GetString(0),
                TaskId = reader.GetString(1),
                AgentName = reader.GetString(2),
                PublicKey = (byte[])reader.GetValue(3),
                LaunchTokenHash = reader.GetString(4),
                Scope = StorageJson.Read(reader.GetString(5)),
                Audience = StorageJson.Read(reader.GetString(6)),
                MaxTtl = reader.GetInt32(7),
                CreatedAtMs = reader.GetInt64(8),
                Status = reader.GetString(9),
                AppId = reader.GetString(10),
            };
        }));

    /// <inheritdoc />
    public Task<bool> SetStatusAsync(string agentId, string status, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "UPDATE agents SET status = $s WHERE agent_id = $id";
                cmd.Parameters.AddWithValue("$s", status);
                cmd.Parameters.AddWithValue("$id", agentId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> TransitionAsync(string agentId, IReadOnlyList<string> from, string to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (from.Count == 0)
        {
            return Task.FromResult(false);
        }

        return database.WriteAsync(
            (connection, transaction) =>
            {
                // One statement inside the writer's transaction: the status is compared and set together.
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                var names = new string[from.Count];
                for (int i = 0; i < from.Count; i++)
                {
                    names[i] = "$f" + i.ToString(CultureInfo.InvariantCulture);
                    cmd.Parameters.AddWithValue(names[i], from[i]);
                }

                cmd.CommandText = $"UPDATE agents SET status = $s WHERE agent_id = $id AND status IN ({string.Join(", ", names)})";
                cmd.Parameters.AddWithValue("$s", to);
                cmd.Parameters.AddWithValue("$id", agentId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM agents";
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }));
}
