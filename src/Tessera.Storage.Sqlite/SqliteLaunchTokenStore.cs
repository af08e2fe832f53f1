using Microsoft.Data.Sqlite;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Storage.Sqlite;

/// <summary>Launch tokens in SQLite.</summary>
public sealed class SqliteLaunchTokenStore(SqliteDatabase database) : ILaunchTokenStore
{
    /// <inheritdoc />
    public Task CreateAsync(LaunchTokenRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    INSERT INTO launch_tokens (token_hash, agent_name, allowed_scope, allowed_audience, max_ttl, single_use, created_by, created_at_ms, expires_at_ms, app_id)
                    VALUES ($h, $n, $s, $a, $m, $u, $c, $t, $e, $app)
                    """;
                cmd.Parameters.AddWithValue("$h", record.TokenHash);
                cmd.Parameters.AddWithValue("$n", record.AgentName);
                cmd.Parameters.AddWithValue("$s", StorageJson.Write(record.AllowedScope));
                cmd.Parameters.AddWithValue("$a", StorageJson.Write(record.AllowedAudience));
                cmd.Parameters.AddWithValue("$m", record.MaxTtl);
                cmd.Parameters.AddWithValue("$u", record.SingleUse ? 1 : 0);
                cmd.Parameters.AddWithValue("$c", record.CreatedBy);
                cmd.Parameters.AddWithValue("$t", record.CreatedAtMs);
                cmd.Parameters.AddWithValue("$e", record.ExpiresAtMs);
                cmd.Parameters.AddWithValue("$app", record.AppId);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<LaunchTokenRecord?> FindAsync(string tokenHash, CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection => Find(connection, null, tokenHash)));

    internal static LaunchTokenRecord? Find(SqliteConnection connection, SqliteTransaction? transaction, string tokenHash)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = """
            SELECT agent_name, allowed_scope, allowed_audience, max_ttl, single_use, created_by, created_at_ms, expires_at_ms, use_count, app_id
            FROM launch_tokens WHERE token_hash = $h
            """;
        cmd.Parameters.AddWithValue("$h", tokenHash);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new LaunchTokenRecord
        {
            TokenHash = tokenHash,
            AgentName = reader.GetString(0),
            AllowedScope = StorageJson.Read(reader.GetString(1)),
            AllowedAudience = StorageJson.Read(reader.GetString(2)),
            MaxTtl = reader.GetInt32(3),
            SingleUse = reader.GetInt64(4) != 0,
            CreatedBy = reader.GetString(5),
            CreatedAtMs = reader.GetInt64(6),
            ExpiresAtMs = reader.GetInt64(7),
            UseCount = reader.GetInt32(8),
            AppId = reader.GetString(9),
        };
    }

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(long beforeMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM launch_tokens WHERE expires_at_ms <= $t";
                cmd.Parameters.AddWithValue("$t", beforeMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);
}
