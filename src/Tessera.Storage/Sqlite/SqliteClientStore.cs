using Microsoft.Data.Sqlite;
using Tessera.Storage.Clients;

namespace Tessera.Storage.Sqlite;

/// <summary>Credentialed clients in SQLite.</summary>
public sealed class SqliteClientStore(SqliteDatabase database) : IClientStore
{
    private const string Columns = "client_id, kind, entity_id, name, secret_hash, previous_secret_hash, previous_valid_until_ms, scopes, token_ttl, status, created_at_ms, updated_at_ms";

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
                    INSERT INTO clients ({Columns}) VALUES ($cid, $kind, $eid, $name, $hash, NULL, NULL, $scopes, $ttl, $status, $now, $now)
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
            });
        }

        return list;
    }
}
