using Tessera.Storage.Nonces;

namespace Tessera.Storage.PostgreSql;

/// <summary>Registration nonces in PostgreSQL.</summary>
public sealed class PostgreSqlNonceStore(PostgreSqlDatabase database) : INonceStore
{
    /// <inheritdoc />
    public async Task CreateAsync(string nonce, long expiresAtMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("INSERT INTO nonces (nonce, expires_at_ms) VALUES (@n, @e)");
        cmd.Parameters.AddWithValue("n", nonce);
        cmd.Parameters.AddWithValue("e", expiresAtMs);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<NonceConsumeResult> ConsumeAsync(string nonce, long nowMs, CancellationToken cancellationToken)
    {
        // One statement: the UPDATE flips consumed false -> true, and a row lock makes every
        // concurrent caller, in any process, wait and then find it already flipped; only the
        // caller whose UPDATE returned a row won. The outer SELECT reads the statement's snapshot,
        // so "existing" tells a used nonce from an unknown one without a second round trip.
        await using var cmd = database.DataSource.CreateCommand("""
            WITH won AS (UPDATE nonces SET consumed = true WHERE nonce = @n AND NOT consumed RETURNING expires_at_ms)
            SELECT (SELECT expires_at_ms FROM won), (SELECT expires_at_ms FROM nonces WHERE nonce = @n)
            """);
        cmd.Parameters.AddWithValue("n", nonce);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.IsDBNull(0))
        {
            return reader.GetInt64(0) > nowMs ? NonceConsumeResult.Consumed : NonceConsumeResult.NotFoundOrExpired;
        }

        return !reader.IsDBNull(1) && reader.GetInt64(1) > nowMs
            ? NonceConsumeResult.AlreadyConsumed
            : NonceConsumeResult.NotFoundOrExpired;
    }

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM nonces WHERE expires_at_ms <= @t");
        cmd.Parameters.AddWithValue("t", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
