using Tessera.Storage.Keys;

namespace Tessera.Storage.PostgreSql;

/// <summary>Sealed signing key rings in PostgreSQL; every change notifies the other replicas at commit.</summary>
public sealed class PostgreSqlKeyRingStore(PostgreSqlDatabase database) : IKeyRingStore
{
    /// <inheritdoc />
    public async Task<StoredKeyRing?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("SELECT version, sealed FROM key_rings WHERE name = @n");
        cmd.Parameters.AddWithValue("n", name);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new StoredKeyRing(name, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : null;
    }

    /// <inheritdoc />
    public async Task<bool> TryReplaceAsync(string name, long expectedVersion, byte[] sealedRing, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sealedRing);

        // One statement: the compare-and-set (a racing writer waits on the row, then finds the
        // version moved) and the notification, which PostgreSQL sends only if it commits.
        string change = expectedVersion == 0
            ? "INSERT INTO key_rings (name, version, sealed, updated_at_ms) VALUES (@n, 1, @s, @t) ON CONFLICT (name) DO NOTHING RETURNING name"
            : "UPDATE key_rings SET version = version + 1, sealed = @s, updated_at_ms = @t WHERE name = @n AND version = @v RETURNING name";
        await using var cmd = database.DataSource.CreateCommand(
            $"WITH changed AS ({change}) SELECT pg_notify('{PostgreSqlChangeListener.KeyRingChannel}', name) FROM changed");
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("s", sealedRing);
        cmd.Parameters.AddWithValue("t", nowMs);
        if (expectedVersion != 0)
        {
            cmd.Parameters.AddWithValue("v", expectedVersion);
        }
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken);
    }
}
