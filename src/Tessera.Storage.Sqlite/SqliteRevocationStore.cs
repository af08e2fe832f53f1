using Microsoft.Data.Sqlite;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.Sqlite;

/// <summary>Revocations in SQLite.</summary>
public sealed class SqliteRevocationStore(SqliteDatabase database) : IRevocationStore
{
    /// <inheritdoc />
    public Task<RevocationRecord> AddAsync(RevocationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                DeleteExpired(connection, transaction, record);
                var stored = record;
                if (Find(connection, transaction, record.Level, record.Target) is { } existing)
                {
                    if (existing.MergeRepeat(record) is not { } merged)
                    {
                        return existing;
                    }

                    // Deleted and inserted again rather than updated: AUTOINCREMENT hands the entry a
                    // sequence number above every one issued, and feed cursors move only forward.
                    using var delete = connection.CreateCommand();
                    delete.Transaction = transaction;
                    delete.CommandText = "DELETE FROM revocations WHERE level = $l AND target = $t";
                    delete.Parameters.AddWithValue("$l", record.Level);
                    delete.Parameters.AddWithValue("$t", record.Target);
                    delete.ExecuteNonQuery();
                    stored = merged;
                }

                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    INSERT INTO revocations (level, target, reason, revoked_at_ms, expires_at_ms)
                    VALUES ($l, $t, $r, $at, $e)
                    RETURNING seq
                    """;
                cmd.Parameters.AddWithValue("$l", stored.Level);
                cmd.Parameters.AddWithValue("$t", stored.Target);
                cmd.Parameters.AddWithValue("$r", stored.Reason);
                cmd.Parameters.AddWithValue("$at", stored.RevokedAtMs);
                cmd.Parameters.AddWithValue("$e", stored.ExpiresAtMs);
                return stored with { Sequence = (long)cmd.ExecuteScalar()! };
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryAddNewAsync(RevocationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                DeleteExpired(connection, transaction, record);

                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    INSERT INTO revocations (level, target, reason, revoked_at_ms, expires_at_ms)
                    VALUES ($l, $t, $r, $at, $e)
                    ON CONFLICT (level, target) DO NOTHING
                    """;
                cmd.Parameters.AddWithValue("$l", record.Level);
                cmd.Parameters.AddWithValue("$t", record.Target);
                cmd.Parameters.AddWithValue("$r", record.Reason);
                cmd.Parameters.AddWithValue("$at", record.RevokedAtMs);
                cmd.Parameters.AddWithValue("$e", record.ExpiresAtMs);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RevocationRecord>> ListAsync(long afterSequence, long nowMs, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RevocationRecord>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                SELECT seq, level, target, reason, revoked_at_ms, expires_at_ms FROM revocations
                WHERE seq > $after AND expires_at_ms > $now ORDER BY seq LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$after", afterSequence);
            cmd.Parameters.AddWithValue("$now", nowMs);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var reader = cmd.ExecuteReader();
            var list = new List<RevocationRecord>();
            while (reader.Read())
            {
                list.Add(new RevocationRecord
                {
                    Sequence = reader.GetInt64(0),
                    Level = reader.GetString(1),
                    Target = reader.GetString(2),
                    Reason = reader.GetString(3),
                    RevokedAtMs = reader.GetInt64(4),
                    ExpiresAtMs = reader.GetInt64(5),
                });
            }

            return list;
        }));

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM revocations WHERE expires_at_ms <= $now";
                cmd.Parameters.AddWithValue("$now", nowMs);
                return cmd.ExecuteNonQuery();
            },
            cancellationToken);

    private static RevocationRecord? Find(SqliteConnection connection, SqliteTransaction transaction, string level, string target)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = "SELECT seq, reason, revoked_at_ms, expires_at_ms FROM revocations WHERE level = $l AND target = $t";
        cmd.Parameters.AddWithValue("$l", level);
        cmd.Parameters.AddWithValue("$t", target);
        using var reader = cmd.ExecuteReader();
        return reader.Read()
            ? new RevocationRecord
            {
                Sequence = reader.GetInt64(0),
                Level = level,
                Target = target,
                Reason = reader.GetString(1),
                RevokedAtMs = reader.GetInt64(2),
                ExpiresAtMs = reader.GetInt64(3),
            }
            : null;
    }

    // An entry that already expired (not yet purged) is replaced, so the renewed revocation gets
    // a new feed position and subscribers past the old one still see it.
    private static void DeleteExpired(SqliteConnection connection, SqliteTransaction transaction, RevocationRecord record)
    {
        using var stale = connection.CreateCommand();
        stale.Transaction = transaction;
        stale.CommandText = "DELETE FROM revocations WHERE level = $l AND target = $t AND expires_at_ms <= $at";
        stale.Parameters.AddWithValue("$l", record.Level);
        stale.Parameters.AddWithValue("$t", record.Target);
        stale.Parameters.AddWithValue("$at", record.RevokedAtMs);
        stale.ExecuteNonQuery();
    }
}
