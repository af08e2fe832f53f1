using Microsoft.Data.Sqlite;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.Sqlite;

/// <summary>Platforms and grants in SQLite.</summary>
public sealed class SqlitePlatformStore(SqliteDatabase database) : IPlatformStore
{
    private const string Columns = "platform_id, name, hostnames, scopes, routes, token_profile, version, created_at_ms, updated_at_ms";

    /// <inheritdoc />
    public Task<bool> CreateAsync(PlatformRecord platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = $"INSERT INTO platforms ({Columns}) VALUES ($id, $name, $hosts, $scopes, $routes, $profile, $version, $created, $updated) ON CONFLICT (platform_id) DO NOTHING";
                Bind(cmd, platform);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<PlatformRecord?> FindAsync(string platformId, CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT {Columns} FROM platforms WHERE platform_id = $id";
            cmd.Parameters.AddWithValue("$id", platformId);
            var all = ReadPlatforms(cmd);
            return all.Count == 0 ? null : all[0];
        }));

    /// <inheritdoc />
    public Task<IReadOnlyList<PlatformRecord>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PlatformRecord>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT {Columns} FROM platforms ORDER BY created_at_ms, platform_id";
            return ReadPlatforms(cmd);
        }));

    /// <inheritdoc />
    public Task<bool> UpdateAsync(PlatformRecord platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    UPDATE platforms SET name = $name, hostnames = $hosts, scopes = $scopes, routes = $routes,
                        token_profile = $profile, version = version + 1, updated_at_ms = $updated
                    WHERE platform_id = $id
                    """;
                Bind(cmd, platform);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string platformId, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                // Grants go with it (ON DELETE CASCADE).
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM platforms WHERE platform_id = $id";
                cmd.Parameters.AddWithValue("$id", platformId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetGrantAsync(GrantRecord grant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = """
                    INSERT INTO grants (agent_id, platform_id, scopes, created_at_ms, updated_at_ms)
                    SELECT $agent, platform_id, $scopes, $now, $now FROM platforms WHERE platform_id = $platform
                    ON CONFLICT (agent_id, platform_id) DO UPDATE SET scopes = excluded.scopes, updated_at_ms = excluded.updated_at_ms
                    """;
                cmd.Parameters.AddWithValue("$agent", grant.AgentId);
                cmd.Parameters.AddWithValue("$platform", grant.PlatformId);
                cmd.Parameters.AddWithValue("$scopes", StorageJson.Write(grant.Scopes));
                cmd.Parameters.AddWithValue("$now", grant.UpdatedAtMs);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> RemoveGrantAsync(string agentId, string platformId, CancellationToken cancellationToken) =>
        database.WriteAsync(
            (connection, transaction) =>
            {
                using var cmd = connection.CreateCommand();
                cmd.Transaction = transaction;
                cmd.CommandText = "DELETE FROM grants WHERE agent_id = $agent AND platform_id = $platform";
                cmd.Parameters.AddWithValue("$agent", agentId);
                cmd.Parameters.AddWithValue("$platform", platformId);
                return cmd.ExecuteNonQuery() == 1;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<GrantRecord?> FindGrantAsync(string agentId, string platformId, CancellationToken cancellationToken) =>
        Task.FromResult(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT agent_id, platform_id, scopes, updated_at_ms FROM grants WHERE agent_id = $agent AND platform_id = $platform";
            cmd.Parameters.AddWithValue("$agent", agentId);
            cmd.Parameters.AddWithValue("$platform", platformId);
            var all = ReadGrants(cmd);
            return all.Count == 0 ? null : all[0];
        }));

    /// <inheritdoc />
    public Task<IReadOnlyList<GrantRecord>> ListGrantsOnPlatformAsync(string platformId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<GrantRecord>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT agent_id, platform_id, scopes, updated_at_ms FROM grants WHERE platform_id = $platform ORDER BY agent_id";
            cmd.Parameters.AddWithValue("$platform", platformId);
            return ReadGrants(cmd);
        }));

    /// <inheritdoc />
    public Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(string agentId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<GrantRecord>>(database.Read(connection =>
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT agent_id, platform_id, scopes, updated_at_ms FROM grants WHERE agent_id = $agent ORDER BY platform_id";
            cmd.Parameters.AddWithValue("$agent", agentId);
            return ReadGrants(cmd);
        }));

    private static void Bind(SqliteCommand cmd, PlatformRecord p)
    {
        cmd.Parameters.AddWithValue("$id", p.PlatformId);
        cmd.Parameters.AddWithValue("$name", p.Name);
        cmd.Parameters.AddWithValue("$hosts", StorageJson.Write(p.Hostnames));
        cmd.Parameters.AddWithValue("$scopes", StorageJson.Write(p.Scopes));
        cmd.Parameters.AddWithValue("$routes", p.RoutesJson);
        cmd.Parameters.AddWithValue("$profile", p.TokenProfile);
        cmd.Parameters.AddWithValue("$version", p.Version);
        cmd.Parameters.AddWithValue("$created", p.CreatedAtMs);
        cmd.Parameters.AddWithValue("$updated", p.UpdatedAtMs);
    }

    private static List<PlatformRecord> ReadPlatforms(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<PlatformRecord>();
        while (reader.Read())
        {
            list.Add(new PlatformRecord
            {
                PlatformId = reader.GetString(0),
                Name = reader.GetString(1),
                Hostnames = StorageJson.Read(reader.GetString(2)),
                Scopes = StorageJson.Read(reader.GetString(3)),
                RoutesJson = reader.GetString(4),
                TokenProfile = reader.GetString(5),
                Version = reader.GetInt32(6),
                CreatedAtMs = reader.GetInt64(7),
                UpdatedAtMs = reader.GetInt64(8),
            });
        }

        return list;
    }

    private static List<GrantRecord> ReadGrants(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<GrantRecord>();
        while (reader.Read())
        {
            list.Add(new GrantRecord(reader.GetString(0), reader.GetString(1), StorageJson.Read(reader.GetString(2)), reader.GetInt64(3)));
        }

        return list;
    }
}
