using Tessera.Storage.Clients;

namespace Tessera.Storage.PostgreSql;

/// <summary>Used client assertion ids in PostgreSQL: one atomic upsert decides the single use.</summary>
public sealed class PostgreSqlAssertionReplayStore(PostgreSqlDatabase database) : IAssertionReplayStore
{
    /// <inheritdoc />
    public async Task<bool> TryUseAsync(string key, long expiresAtMs, long nowMs, CancellationToken cancellationToken)
    {
        // A new key is inserted; a key whose earlier use has expired is taken over in place. The
        // conflict path locks the row and re-checks the condition on its latest version, so of
        // many callers in any number of processes exactly one sees a row written.
        await using var cmd = database.DataSource.CreateCommand("""
            INSERT INTO used_assertions (jti_key, expires_at_ms) VALUES (@k, @e)
            ON CONFLICT (jti_key) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
            WHERE used_assertions.expires_at_ms <= @now
            """);
        cmd.Parameters.AddWithValue("k", key);
        cmd.Parameters.AddWithValue("e", expiresAtMs);
        cmd.Parameters.AddWithValue("now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM used_assertions WHERE expires_at_ms <= @now");
        cmd.Parameters.AddWithValue("now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
