using Microsoft.Data.Sqlite;
using Tessera.Storage.Clients;

namespace Tessera.Storage.Sqlite;

/// <summary>Credentialed clients in SQLite.</summary>
public sealed class SqliteClientStore(SqliteDatabase database) : IClientStore
{
    private const string Columns = "client_id, kind, entity_id, name, secret_hash, previous_secret_hash, previous_valid_until_ms, scopes, token_ttl, status, created_at_ms, updated_at_ms, owner, metadata, jwks, secret_enabled, consecutive_denials, status_reason";

    /// <inheritdoc />
    public Task<bool> CreateAsync(ClientRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = $"""
                    INSERT INTO clients ({Columns}) VALUES ($cid, $kind, $eid, $name, $hash, NULL, NULL, $scopes, $ttl, $status, $now, $now, $owner, $meta, $jwks, $secret_on, 0, '')
                    ON CONFLICT (kind, name) DO NOTHING
                    """;
                cmd.Parameters.AddWithValue("$cid", record.ClientId);
                cmd.Parameters.AddWithValue("$kind", record.Kind);
                cmd.Parameters.AddWithValue("$eid", record.EntityId);
                cmd.Parameters.AddWithValue("$name", record.Name);
                cmd.Parameters.AddWithValue("$hash", record.SecretHash);
                cmd.Parameters.AddWithValue("$scopes", StorageJson.Write(record.Scopes));
                cmd.Parameters.AddWithValue("$ttl", record.TokenTtl);
                cmd.Parameters.AddWithValue("$status", record.Status);
                cmd.Parameters.AddWithValue("$now", record.CreatedAtMs);
                cmd.Parameters.AddWithValue("$owner", record.Owner);
                cmd.Parameters.AddWithValue("$meta", record.MetadataJson);
                cmd.Parameters.AddWithValue("$jwks", record.Jwks);
                cmd.Parameters.AddWithValue("$secret_on", record.SecretEnabled ? 1 : 0);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<ClientRecord?> FindByClientIdAsync(string clientId, CancellationToken cancellationToken) => FindAsync("client_id", clientId);

    /// <inheritdoc />
    public Task<ClientRecord?> FindByEntityIdAsync(string entityId, CancellationToken cancellationToken) => FindAsync("entity_id", entityId);

    /// <inheritdoc />
    public Task<IReadOnlyList<ClientRecord>> ListAsync(string kind, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ClientRecord>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT {Columns} FROM clients WHERE kind = $kind ORDER BY created_at_ms, client_id";
            cmd.Parameters.AddWithValue("$kind", kind);
            return ReadAll(cmd);
        }));

    /// <inheritdoc />
    public Task<bool> UpdateAsync(string entityId, IReadOnlyList<string>? scopes, int? tokenTtl, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "UPDATE clients SET scopes = COALESCE($scopes, scopes), token_ttl = COALESCE($ttl, token_ttl), updated_at_ms = $now WHERE entity_id = $eid";
                cmd.Parameters.AddWithValue("$scopes", scopes is null ? DBNull.Value : StorageJson.Write(scopes));
                cmd.Parameters.AddWithValue("$ttl", tokenTtl is null ? DBNull.Value : tokenTtl.Value);
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$eid", entityId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetStatusAsync(string entityId, string status, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "UPDATE clients SET status = $status, updated_at_ms = $now WHERE entity_id = $eid";
                cmd.Parameters.AddWithValue("$status", status);
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$eid", entityId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> RotateSecretAsync(string entityId, byte[] newSecretHash, long? previousValidUntilMs, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    UPDATE clients SET
                        previous_secret_hash = CASE WHEN $until IS NULL THEN NULL ELSE secret_hash END,
                        previous_valid_until_ms = $until,
                        secret_hash = $hash,
                        updated_at_ms = $now
                    WHERE entity_id = $eid
                    """;
                cmd.Parameters.AddWithValue("$until", previousValidUntilMs is null ? DBNull.Value : previousValidUntilMs.Value);
                cmd.Parameters.AddWithValue("$hash", newSecretHash);
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$eid", entityId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> TransitionAsync(string entityId, IReadOnlyList<string> from, string to, string reason, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    UPDATE clients SET status = $to, status_reason = $reason, consecutive_denials = 0, updated_at_ms = $now
                    WHERE entity_id = $eid AND status IN (SELECT value FROM json_each($from))
                    """;
                cmd.Parameters.AddWithValue("$to", to);
                cmd.Parameters.AddWithValue("$reason", reason);
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$eid", entityId);
                cmd.Parameters.AddWithValue("$from", StorageJson.Write(from));
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> UpdateDetailsAsync(string entityId, ClientDetailsUpdate update, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    UPDATE clients SET owner = COALESCE($owner, owner), metadata = COALESCE($meta, metadata), jwks = COALESCE($jwks, jwks),
                        token_ttl = COALESCE($ttl, token_ttl), secret_enabled = COALESCE($secret_on, secret_enabled), updated_at_ms = $now
                    WHERE entity_id = $eid
                    """;
                cmd.Parameters.AddWithValue("$owner", (object?)update.Owner ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$meta", (object?)update.MetadataJson ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$jwks", (object?)update.Jwks ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$ttl", update.TokenTtl is { } ttl ? ttl : DBNull.Value);
                cmd.Parameters.AddWithValue("$secret_on", update.SecretEnabled is { } on ? (on ? 1 : 0) : DBNull.Value);
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$eid", entityId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<OutcomeResult> ApplyOutcomesAsync(string entityId, IReadOnlyList<OutcomeRun> runs, int suspendAt, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                // Read and write inside the one writer's transaction: no other write interleaves.
                using var read = connection.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = "SELECT consecutive_denials, status FROM clients WHERE entity_id = $eid";
                read.Parameters.AddWithValue("$eid", entityId);
                long denials;
                string status;
                using (var reader = read.ExecuteReader())
                {
                    if (!reader.Read())
                    {
                        return new OutcomeResult(false, 0, false);
                    }

                    denials = reader.GetInt64(0);
                    status = reader.GetString(1);
                }

                bool suspend = false;
                foreach (var run in runs)
                {
                    denials = run.Denied ? Math.Min(denials + Math.Max(run.Count, 0), int.MaxValue) : 0;
                    if (suspendAt > 0 && denials >= suspendAt && status == "active")
                    {
                        suspend = true;
                        status = "suspended";
                    }
                }

                using var write = connection.CreateCommand();
                write.Transaction = transaction;
                write.CommandText = suspend
                    ? "UPDATE clients SET consecutive_denials = $d, status = 'suspended', status_reason = $reason, updated_at_ms = $now WHERE entity_id = $eid"
                    : "UPDATE clients SET consecutive_denials = $d WHERE entity_id = $eid";
                write.Parameters.AddWithValue("$d", denials);
                write.Parameters.AddWithValue("$eid", entityId);
                if (suspend)
                {
                    write.Parameters.AddWithValue("$reason", $"automatic: {suspendAt} consecutive denials reported by verifiers");
                    write.Parameters.AddWithValue("$now", nowMs);
                }

                write.ExecuteNonQuery();
                return new OutcomeResult(true, (int)denials, suspend);
            },
            cancellationToken);
    }

    private Task<ClientRecord?> FindAsync(string column, string value) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT {Columns} FROM clients WHERE {column} = $v";
            cmd.Parameters.AddWithValue("$v", value);
            var all = ReadAll(cmd);
            return all.Count == 0 ? null : all[0];
        }));

    private static List<ClientRecord> ReadAll(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<ClientRecord>();
        while (reader.Read())
        {
            list.Add(new ClientRecord
            {
                ClientId = reader.GetString(0),
                Kind = reader.GetString(1),
                EntityId = reader.GetString(2),
                Name = reader.GetString(3),
                SecretHash = (byte[])reader.GetValue(4),
                PreviousSecretHash = reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5),
                PreviousValidUntilMs = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                Scopes = StorageJson.Read(reader.GetString(7)),
                TokenTtl = reader.GetInt32(8),
                Status = reader.GetString(9),
                CreatedAtMs = reader.GetInt64(10),
                UpdatedAtMs = reader.GetInt64(11),
                Owner = reader.GetString(12),
                MetadataJson = reader.GetString(13),
                Jwks = reader.GetString(14),
                SecretEnabled = reader.GetInt64(15) != 0,
                ConsecutiveDenials = reader.GetInt32(16),
                StatusReason = reader.GetString(17),
            });
        }

        return list;
    }
}
