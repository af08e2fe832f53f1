using Npgsql;
using NpgsqlTypes;
using Tessera.Storage.Clients;

namespace Tessera.Storage.PostgreSql;

/// <summary>Credentialed clients in PostgreSQL.</summary>
public sealed class PostgreSqlClientStore(PostgreSqlDatabase database) : IClientStore
{
    private const string Columns = "client_id, kind, entity_id, name, secret_hash, previous_secret_hash, previous_valid_until_ms, scopes, token_ttl, status, created_at_ms, updated_at_ms, owner, metadata, jwks, secret_enabled, consecutive_denials, status_reason";

    /// <inheritdoc />
    public async Task<bool> CreateAsync(ClientRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var cmd = database.DataSource.CreateCommand($"""
            INSERT INTO clients ({Columns}) VALUES (@cid, @kind, @eid, @name, @hash, NULL, NULL, @scopes, @ttl, @status, @now, @now, @owner, @meta, @jwks, @secret_on, 0, '')
            ON CONFLICT (kind, name) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("cid", record.ClientId);
        cmd.Parameters.AddWithValue("kind", record.Kind);
        cmd.Parameters.AddWithValue("eid", record.EntityId);
        cmd.Parameters.AddWithValue("name", record.Name);
        cmd.Parameters.AddWithValue("hash", record.SecretHash);
        cmd.Parameters.AddWithValue("scopes", PgValues.Array(record.Scopes));
        cmd.Parameters.AddWithValue("ttl", record.TokenTtl);
        cmd.Parameters.AddWithValue("status", record.Status);
        cmd.Parameters.AddWithValue("now", record.CreatedAtMs);
        cmd.Parameters.AddWithValue("owner", record.Owner);
        cmd.Parameters.AddWithValue("meta", record.MetadataJson);
        cmd.Parameters.AddWithValue("jwks", record.Jwks);
        cmd.Parameters.AddWithValue("secret_on", record.SecretEnabled);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public Task<ClientRecord?> FindByClientIdAsync(string clientId, CancellationToken cancellationToken) => FindAsync("client_id", clientId, cancellationToken);

    /// <inheritdoc />
    public Task<ClientRecord?> FindByEntityIdAsync(string entityId, CancellationToken cancellationToken) => FindAsync("entity_id", entityId, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClientRecord>> ListAsync(string kind, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {Columns} FROM clients WHERE kind = @kind ORDER BY created_at_ms, client_id");
        cmd.Parameters.AddWithValue("kind", kind);
        return await ReadAllAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateAsync(string entityId, IReadOnlyList<string>? scopes, int? tokenTtl, long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand(
            "UPDATE clients SET scopes = COALESCE(@scopes, scopes), token_ttl = COALESCE(@ttl, token_ttl), updated_at_ms = @now WHERE entity_id = @eid");
        cmd.Parameters.Add(PgValues.NullableArray("scopes", scopes));
        cmd.Parameters.Add(PgValues.Nullable("ttl", NpgsqlDbType.Integer, tokenTtl));
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("eid", entityId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> SetStatusAsync(string entityId, string status, long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("UPDATE clients SET status = @status, updated_at_ms = @now WHERE entity_id = @eid");
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("eid", entityId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> RotateSecretAsync(string entityId, byte[] newSecretHash, long? previousValidUntilMs, long nowMs, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("""
            UPDATE clients SET
                previous_secret_hash = CASE WHEN @until IS NULL THEN NULL ELSE secret_hash END,
                previous_valid_until_ms = @until,
                secret_hash = @hash,
                updated_at_ms = @now
            WHERE entity_id = @eid
            """);
        cmd.Parameters.Add(PgValues.Nullable("until", NpgsqlDbType.Bigint, previousValidUntilMs));
        cmd.Parameters.AddWithValue("hash", newSecretHash);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("eid", entityId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> TransitionAsync(string entityId, IReadOnlyList<string> from, string to, string reason, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);

        // The row lock and the re-check of the WHERE clause on its latest version make this a
        // compare-and-set: of racing transitions out of one state, in any process, one wins.
        await using var cmd = database.DataSource.CreateCommand("""
            UPDATE clients SET status = @to, status_reason = @reason, consecutive_denials = 0, updated_at_ms = @now
            WHERE entity_id = @eid AND status = ANY(@from)
            """);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("reason", reason);
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("eid", entityId);
        cmd.Parameters.AddWithValue("from", PgValues.Array(from));
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> UpdateDetailsAsync(string entityId, ClientDetailsUpdate update, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        await using var cmd = database.DataSource.CreateCommand("""
            UPDATE clients SET owner = COALESCE(@owner, owner), metadata = COALESCE(@meta, metadata), jwks = COALESCE(@jwks, jwks),
                token_ttl = COALESCE(@ttl, token_ttl), secret_enabled = COALESCE(@secret_on, secret_enabled), updated_at_ms = @now
            WHERE entity_id = @eid
            """);
        cmd.Parameters.Add(PgValues.Nullable("owner", NpgsqlDbType.Text, update.Owner));
        cmd.Parameters.Add(PgValues.Nullable("meta", NpgsqlDbType.Text, update.MetadataJson));
        cmd.Parameters.Add(PgValues.Nullable("jwks", NpgsqlDbType.Text, update.Jwks));
        cmd.Parameters.Add(PgValues.Nullable("ttl", NpgsqlDbType.Integer, update.TokenTtl));
        cmd.Parameters.Add(PgValues.Nullable("secret_on", NpgsqlDbType.Boolean, update.SecretEnabled));
        cmd.Parameters.AddWithValue("now", nowMs);
        cmd.Parameters.AddWithValue("eid", entityId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public Task<OutcomeResult> ApplyOutcomesAsync(string entityId, IReadOnlyList<OutcomeRun> runs, int suspendAt, long nowMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return database.InTransactionAsync(
            async (connection, transaction) =>
            {
                // FOR UPDATE: reports for the same client, from any replica, take turns on its row
                // between this read and the write below, so no denial is lost and one report suspends.
                long denials;
                string status;
                await using (var read = new NpgsqlCommand("SELECT consecutive_denials, status FROM clients WHERE entity_id = @eid FOR UPDATE", connection, transaction))
                {
                    read.Parameters.AddWithValue("eid", entityId);
                    await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        return new OutcomeResult(false, 0, false);
                    }

                    denials = reader.GetInt32(0);
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

                await using var write = new NpgsqlCommand(
                    suspend
                        ? "UPDATE clients SET consecutive_denials = @d, status = 'suspended', status_reason = @reason, updated_at_ms = @now WHERE entity_id = @eid"
                        : "UPDATE clients SET consecutive_denials = @d WHERE entity_id = @eid",
                    connection,
                    transaction);
                write.Parameters.AddWithValue("d", (int)denials);
                write.Parameters.AddWithValue("eid", entityId);
                if (suspend)
                {
                    write.Parameters.AddWithValue("reason", $"automatic: {suspendAt} consecutive denials reported by verifiers");
                    write.Parameters.AddWithValue("now", nowMs);
                }

                await write.ExecuteNonQueryAsync(cancellationToken);
                return new OutcomeResult(true, (int)denials, suspend);
            },
            cancellationToken);
    }

    private async Task<ClientRecord?> FindAsync(string column, string value, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {Columns} FROM clients WHERE {column} = @v");
        cmd.Parameters.AddWithValue("v", value);
        var all = await ReadAllAsync(cmd, cancellationToken);
        return all.Count == 0 ? null : all[0];
    }

    private static async Task<List<ClientRecord>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<ClientRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ClientRecord
            {
                ClientId = reader.GetString(0),
                Kind = reader.GetString(1),
                EntityId = reader.GetString(2),
                Name = reader.GetString(3),
                SecretHash = reader.GetFieldValue<byte[]>(4),
                PreviousSecretHash = reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5),
                PreviousValidUntilMs = reader.IsDBNull(6) ? null : reader.GetInt64(6),
                Scopes = reader.GetFieldValue<string[]>(7),
                TokenTtl = reader.GetInt32(8),
                Status = reader.GetString(9),
                CreatedAtMs = reader.GetInt64(10),
                UpdatedAtMs = reader.GetInt64(11),
                Owner = reader.GetString(12),
                MetadataJson = reader.GetString(13),
                Jwks = reader.GetString(14),
                SecretEnabled = reader.GetBoolean(15),
                ConsecutiveDenials = reader.GetInt32(16),
                StatusReason = reader.GetString(17),
            });
        }

        return list;
    }
}
