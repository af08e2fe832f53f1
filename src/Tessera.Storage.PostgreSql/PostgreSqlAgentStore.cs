using System.Globalization;
using Tessera.Storage.Agents;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Storage.PostgreSql;

/// <summary>Agents and the atomic registration in PostgreSQL.</summary>
public sealed class PostgreSqlAgentStore(PostgreSqlDatabase database) : IAgentStore, IRegistrationStore
{
    /// <inheritdoc />
    public async Task<LaunchTokenConsumeResult> RegisterAsync(AgentRecord agent, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);

        // One statement, so one transaction: the token use and the agent insert both happen or
        // neither does (an agent id already taken fails the insert and so un-uses the token).
        // Concurrent uses of a single-use token, from any process, queue on its row lock; each
        // re-checks use_count = 0 once the one before it committed, so exactly one gets a row.
        await using var cmd = database.DataSource.CreateCommand("""
            WITH used AS (
                UPDATE launch_tokens SET use_count = use_count + 1
                WHERE token_hash = @h AND expires_at_ms > @now AND (NOT single_use OR use_count = 0)
                RETURNING token_hash)
            INSERT INTO agents (agent_id, orch_id, task_id, agent_name, public_key, launch_token_hash, scope, audience, max_ttl, created_at_ms, app_id)
            SELECT @id, @o, @t, @n, @k, token_hash, @s, @a, @m, @c, @app FROM used
            """);
        cmd.Parameters.AddWithValue("h", agent.LaunchTokenHash);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("id", agent.AgentId);
        cmd.Parameters.AddWithValue("o", agent.OrchId);
        cmd.Parameters.AddWithValue("t", agent.TaskId);
        cmd.Parameters.AddWithValue("n", agent.AgentName);
        cmd.Parameters.AddWithValue("k", agent.PublicKey);
        cmd.Parameters.AddWithValue("s", PgValues.Array(agent.Scope));
        cmd.Parameters.AddWithValue("a", PgValues.Array(agent.Audience));
        cmd.Parameters.AddWithValue("m", agent.MaxTtl);
        cmd.Parameters.AddWithValue("c", agent.CreatedAtMs);
        cmd.Parameters.AddWithValue("app", agent.AppId);
        if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return LaunchTokenConsumeResult.Consumed;
        }

        // Lost: say why. A token is never un-used or un-expired, so reading it afterwards is safe.
        var existing = await PostgreSqlLaunchTokenStore.FindAsync(database.DataSource, agent.LaunchTokenHash, cancellationToken);
        return existing is null ? LaunchTokenConsumeResult.NotFound
            : existing.ExpiresAtMs <= nowMs ? LaunchTokenConsumeResult.Expired
            : LaunchTokenConsumeResult.AlreadyConsumed;
    }

    /// <inheritdoc />
    public async Task<AgentRecord?> FindAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("""
            SELECT orch_id, task_id, agent_name, public_key, launch_token_hash, scope, audience, max_ttl, created_at_ms, status, app_id
            FROM agents WHERE agent_id = @id
            """);
        cmd.Parameters.AddWithValue("id", agentId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new AgentRecord
        {
            AgentId = agentId,
            OrchId = reader.GetString(0),
            TaskId = reader.GetString(1),
            AgentName = reader.GetString(2),
            PublicKey = reader.GetFieldValue<byte[]>(3),
            LaunchTokenHash = reader.GetString(4),
            Scope = reader.GetFieldValue<string[]>(5),
            Audience = reader.GetFieldValue<string[]>(6),
            MaxTtl = reader.GetInt32(7),
            CreatedAtMs = reader.GetInt64(8),
            Status = reader.GetString(9),
            AppId = reader.GetString(10),
        };
    }

    /// <inheritdoc />
    public async Task<bool> SetStatusAsync(string agentId, string status, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("UPDATE agents SET status = @s WHERE agent_id = @id");
        cmd.Parameters.AddWithValue("s", status);
        cmd.Parameters.AddWithValue("id", agentId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> TransitionAsync(string agentId, IReadOnlyList<string> from, string to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (from.Count == 0)
        {
            return false;
        }

        // One statement: under READ COMMITTED a concurrent update of the row makes this one re-check
        // the WHERE clause against the committed status, so two racing transitions cannot both win.
        await using var cmd = database.DataSource.CreateCommand("UPDATE agents SET status = @s WHERE agent_id = @id AND status = ANY(@from)");
        cmd.Parameters.AddWithValue("s", to);
        cmd.Parameters.AddWithValue("id", agentId);
        cmd.Parameters.AddWithValue("from", from.ToArray());
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("SELECT COUNT(*) FROM agents");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
