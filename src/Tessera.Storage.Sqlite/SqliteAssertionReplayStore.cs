using Tessera.Storage.Clients;

namespace Tessera.Storage.Sqlite;

/// <summary>Used client assertion ids in SQLite: one atomic insert decides the single use.</summary>
public sealed class SqliteAssertionReplayStore(SqliteDatabase database) : IAssertionReplayStore
{
    /// <inheritdoc />
    public Task<bool> TryUseAsync(string key, long expiresAtMs, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                // Expired ids are dropped first, so the table stays as small as the live assertions.
                using var purge = connection.CreateCommand();
                purge.Transaction = transaction;
                purge.CommandText = "DELETE FROM used_assertions WHERE jti_key = $k AND expires_at_ms <= $now";
                purge.Parameters.AddWithValue("$k", key);
                purge.Parameters.AddWithValue("$now", nowMs);
                purge.ExecuteNonQuery();

                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "INSERT INTO used_assertions (jti_key, expires_at_ms) VALUES ($k, $e) ON CONFLICT (jti_key) DO NOTHING";
                cmd.Parameters.AddWithValue("$k", key);
                cmd.Parameters.AddWithValue("$e", expiresAtMs);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM used_assertions WHERE expires_at_ms <= $now";
                cmd.Parameters.AddWithValue("$now", nowMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);
}
