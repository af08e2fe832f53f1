using Npgsql;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Revocations in PostgreSQL. The feed is read by cursor (entries after a sequence number), and
/// PostgreSQL hands out identity values at insert, not at commit: two appends could commit in the
/// other order, and a reader between the two commits would step past the earlier number for good.
/// So each append holds a transaction-level advisory lock from before it takes its number until it
/// commits: sequence order is commit order, across every replica. Revocations are rare; the
/// serialisation costs nothing that matters.
/// </summary>
public sealed class PostgreSqlRevocationStore(PostgreSqlDatabase database) : IRevocationStore
{
    /// <inheritdoc />
    public Task<RevocationRecord> AddAsync(RevocationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.InTransactionAsync(
            async (connection, transaction) =>
            {
                await PrepareAsync(connection, transaction, record, cancellationToken);
                var stored = record;
                if (await FindAsync(connection, transaction, record.Level, record.Target, cancellationToken) is { } existing)
                {
                    if (existing.MergeRepeat(record) is not { } merged)
                    {
                        return existing;
                    }

                    // Deleted and inserted again rather than updated, under the feed lock: the entry
                    // takes a sequence number above every one issued, and feed cursors move only forward.
                    await using var delete = new NpgsqlCommand("DELETE FROM revocations WHERE level = @l AND target = @t", connection, transaction);
                    delete.Parameters.AddWithValue("l", record.Level);
                    delete.Parameters.AddWithValue("t", record.Target);
                    await delete.ExecuteNonQueryAsync(cancellationToken);
                    stored = merged;
                }

                await using var cmd = new NpgsqlCommand(
                    """
                    INSERT INTO revocations (level, target, reason, revoked_at_ms, expires_at_ms)
                    VALUES (@l, @t, @r, @at, @e)
                    RETURNING seq
                    """,
                    connection,
                    transaction);
                Bind(cmd, stored);
                return stored with { Sequence = (long)(await cmd.ExecuteScalarAsync(cancellationToken))! };
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryAddNewAsync(RevocationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.InTransactionAsync(
            async (connection, transaction) =>
            {
                await PrepareAsync(connection, transaction, record, cancellationToken);
                await using var cmd = new NpgsqlCommand(
                    """
                    INSERT INTO revocations (level, target, reason, revoked_at_ms, expires_at_ms)
                    VALUES (@l, @t, @r, @at, @e)
                    ON CONFLICT (level, target) DO NOTHING
                    """,
                    connection,
                    transaction);
                Bind(cmd, record);
                return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RevocationRecord>> ListAsync(long afterSequence, long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("""
            SELECT seq, level, target, reason, revoked_at_ms, expires_at_ms FROM revocations
            WHERE seq > @after AND expires_at_ms > @now ORDER BY seq LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("after", afterSequence);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("limit", limit);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<RevocationRecord>();
        while (await reader.ReadAsync(cancellationToken))
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
    }

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM revocations WHERE expires_at_ms <= @now");
        cmd.Parameters.AddWithValue("now", nowMs);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    // Takes the feed lock; queues the notification that tells every replica's listener, sent by
    // PostgreSQL at commit (and dropped on rollback); then replaces an entry that already expired
    // (not yet purged), so the renewed revocation gets a new feed position and subscribers past
    // the old one still see it.
    private static async Task PrepareAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RevocationRecord record, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({AdvisoryLocks.RevocationFeed});
            SELECT pg_notify('{PostgreSqlChangeListener.RevocationChannel}', '');
            DELETE FROM revocations WHERE level = @l AND target = @t AND expires_at_ms <= @at;
            """,
            connection,
            transaction);
        cmd.Parameters.AddWithValue("l", record.Level);
        cmd.Parameters.AddWithValue("t", record.Target);
        cmd.Parameters.AddWithValue("at", record.RevokedAtMs);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<RevocationRecord?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string level, string target, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT seq, reason, revoked_at_ms, expires_at_ms FROM revocations WHERE level = @l AND target = @t",
            connection,
            transaction);
        cmd.Parameters.AddWithValue("l", level);
        cmd.Parameters.AddWithValue("t", target);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
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

    private static void Bind(NpgsqlCommand cmd, RevocationRecord record)
    {
        cmd.Parameters.AddWithValue("l", record.Level);
        cmd.Parameters.AddWithValue("t", record.Target);
        cmd.Parameters.AddWithValue("r", record.Reason);
        cmd.Parameters.AddWithValue("at", record.RevokedAtMs);
        cmd.Parameters.AddWithValue("e", record.ExpiresAtMs);
    }
}
