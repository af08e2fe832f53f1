using Npgsql;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Storage.PostgreSql;

/// <summary>Launch tokens in PostgreSQL.</summary>
public sealed class PostgreSqlLaunchTokenStore(PostgreSqlDatabase database) : ILaunchTokenStore
{
    private const string SelectByHash = """
        SELECT agent_name, allowed_scope, allowed_audience, max_ttl, single_use, created_by, created_at_ms, expires_at_ms, use_count, app_id
        FROM launch_tokens WHERE token_hash = @h
        """;

    /// <inheritdoc />
    public async Task CreateAsync(LaunchTokenRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var cmd = database.DataSource.CreateCommand("""
            INSERT INTO launch_tokens (token_hash, agent_name, allowed_scope, allowed_audience, max_ttl, single_use, created_by, created_at_ms, expires_at_ms, app_id)
            VALUES (@h, @n, @s, @a, @m, @u, @c, @t, @e, @app)
            """);
        cmd.Parameters.AddWithValue("h", record.TokenHash);
        cmd.Parameters.AddWithValue("n", record.AgentName);
        cmd.Parameters.AddWithValue("s", PgValues.Array(record.AllowedScope));
        cmd.Parameters.AddWithValue("a", PgValues.Array(record.AllowedAudience));
        cmd.Parameters.AddWithValue("m", record.MaxTtl);
        cmd.Parameters.AddWithValue("u", record.SingleUse);
        cmd.Parameters.AddWithValue("c", record.CreatedBy);
        cmd.Parameters.AddWithValue("t", record.CreatedAtMs);
        cmd.Parameters.AddWithValue("e", record.ExpiresAtMs);
        cmd.Parameters.AddWithValue("app", record.AppId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LaunchTokenRecord?> FindAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand(SelectByHash);
        return await FindAsync(cmd, tokenHash, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(long beforeMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM launch_tokens WHERE expires_at_ms <= @t");
        cmd.Parameters.AddWithValue("t", beforeMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<LaunchTokenRecord?> FindAsync(NpgsqlDataSource dataSource, string tokenHash, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(SelectByHash);
        return await FindAsync(cmd, tokenHash, cancellationToken);
    }

    private static async Task<LaunchTokenRecord?> FindAsync(NpgsqlCommand cmd, string tokenHash, CancellationToken cancellationToken)
    {
        cmd.Parameters.AddWithValue("h", tokenHash);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new LaunchTokenRecord
        {
            TokenHash = tokenHash,
            AgentName = reader.GetString(0),
            AllowedScope = reader.GetFieldValue<string[]>(1),
            AllowedAudience = reader.GetFieldValue<string[]>(2),
            MaxTtl = reader.GetInt32(3),
            SingleUse = reader.GetBoolean(4),
            CreatedBy = reader.GetString(5),
            CreatedAtMs = reader.GetInt64(6),
            ExpiresAtMs = reader.GetInt64(7),
            UseCount = reader.GetInt32(8),
            AppId = reader.GetString(9),
        };
    }
}
