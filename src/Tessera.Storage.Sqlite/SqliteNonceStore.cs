using Tessera.Storage.Nonces;

namespace Tessera.Storage.Sqlite;

/// <summary>Registration nonces in SQLite.</summary>
public sealed class SqliteNonceStore(SqliteDatabase database) : INonceStore
{
    /// <inheritdoc />
    public Task CreateAsync(string nonce, long expiresAtMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "INSERT INTO nonces (nonce, expires_at_ms) VALUES ($n, $e)";
                cmd.Parameters.AddWithValue("$n", nonce);
                cmd.Parameters.AddWithValue("$e", expiresAtMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<NonceConsumeResult> ConsumeAsync(string nonce, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                // One statement flips consumed 0 -> 1; only the caller whose UPDATE returns a row won.
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "UPDATE nonces SET consumed = 1 WHERE nonce = $n AND consumed = 0 RETURNING expires_at_ms";
                cmd.Parameters.AddWithValue("$n", nonce);
                object? expires = cmd.ExecuteScalar();
                if (expires is long expiresAt)
                {
                    return expiresAt > nowMs ? NonceConsumeResult.Consumed : NonceConsumeResult.NotFoundOrExpired;
                }

                using var probe = connection.CreateCommand();
                probe.Transaction = transaction;
                probe.CommandText = "SELECT expires_at_ms FROM nonces WHERE nonce = $n";
                probe.Parameters.AddWithValue("$n", nonce);
                return probe.ExecuteScalar() is long e && e > nowMs
                    ? NonceConsumeResult.AlreadyConsumed
                    : NonceConsumeResult.NotFoundOrExpired;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM nonces WHERE expires_at_ms <= $t";
                cmd.Parameters.AddWithValue("$t", nowMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);
}
