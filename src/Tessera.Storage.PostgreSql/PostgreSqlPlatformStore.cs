using Npgsql;
using Tessera.Storage.Platforms;

namespace Tessera.Storage.PostgreSql;

/// <summary>Platforms and grants in PostgreSQL.</summary>
public sealed class PostgreSqlPlatformStore(PostgreSqlDatabase database) : IPlatformStore
{
    private const string Columns = "platform_id, name, hostnames, scopes, routes, token_profile, version, created_at_ms, updated_at_ms";

    private const string GrantColumns = "agent_id, platform_id, scopes, updated_at_ms";

    /// <inheritdoc />
    public async Task<bool> CreateAsync(PlatformRecord platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platform);
        await using var cmd = database.DataSource.CreateCommand(
            $"INSERT INTO platforms ({Columns}) VALUES (@id, @name, @hosts, @scopes, @routes, @profile, @version, @created, @updated) ON CONFLICT (platform_id) DO NOTHING");
        Bind(cmd, platform);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<PlatformRecord?> FindAsync(string platformId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {Columns} FROM platforms WHERE platform_id = @id");
        cmd.Parameters.AddWithValue("id", platformId);
        var all = await ReadPlatformsAsync(cmd, cancellationToken);
        return all.Count == 0 ? null : all[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlatformRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {Columns} FROM platforms ORDER BY created_at_ms, platform_id");
        return await ReadPlatformsAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateAsync(PlatformRecord platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(platform);
        await using var cmd = database.DataSource.CreateCommand("""
            UPDATE platforms SET name = @name, hostnames = @hosts, scopes = @scopes, routes = @routes,
                token_profile = @profile, version = version + 1, updated_at_ms = @updated
            WHERE platform_id = @id
            """);
        Bind(cmd, platform);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string platformId, CancellationToken cancellationToken)
    {
        // Grants go with it (ON DELETE CASCADE).
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM platforms WHERE platform_id = @id");
        cmd.Parameters.AddWithValue("id", platformId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> SetGrantAsync(GrantRecord grant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grant);
        await using var cmd = database.DataSource.CreateCommand("""
            INSERT INTO grants (agent_id, platform_id, scopes, created_at_ms, updated_at_ms)
            SELECT @agent, platform_id, @scopes, @now, @now FROM platforms WHERE platform_id = @platform
            ON CONFLICT (agent_id, platform_id) DO UPDATE SET scopes = excluded.scopes, updated_at_ms = excluded.updated_at_ms
            """);
        cmd.Parameters.AddWithValue("agent", grant.AgentId);
        cmd.Parameters.AddWithValue("platform", grant.PlatformId);
        cmd.Parameters.AddWithValue("scopes", PgValues.Array(grant.Scopes));
        cmd.Parameters.AddWithValue("now", grant.UpdatedAtMs);
        try
        {
            return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // The platform was deleted by another transaction between our read and our insert.
            return false;
        }
    }

    /// <inheritdoc />
    public async Task<bool> RemoveGrantAsync(string agentId, string platformId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand("DELETE FROM grants WHERE agent_id = @agent AND platform_id = @platform");
        cmd.Parameters.AddWithValue("agent", agentId);
        cmd.Parameters.AddWithValue("platform", platformId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<GrantRecord?> FindGrantAsync(string agentId, string platformId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {GrantColumns} FROM grants WHERE agent_id = @agent AND platform_id = @platform");
        cmd.Parameters.AddWithValue("agent", agentId);
        cmd.Parameters.AddWithValue("platform", platformId);
        var all = await ReadGrantsAsync(cmd, cancellationToken);
        return all.Count == 0 ? null : all[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GrantRecord>> ListGrantsOnPlatformAsync(string platformId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {GrantColumns} FROM grants WHERE platform_id = @platform ORDER BY agent_id");
        cmd.Parameters.AddWithValue("platform", platformId);
        return await ReadGrantsAsync(cmd, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var cmd = database.DataSource.CreateCommand($"SELECT {GrantColumns} FROM grants WHERE agent_id = @agent ORDER BY platform_id");
        cmd.Parameters.AddWithValue("agent", agentId);
        return await ReadGrantsAsync(cmd, cancellationToken);
    }

    private static void Bind(NpgsqlCommand cmd, PlatformRecord p)
    {
        cmd.Parameters.AddWithValue("id", p.PlatformId);
        cmd.Parameters.AddWithValue("name", p.Name);
        cmd.Parameters.AddWithValue("hosts", PgValues.Array(p.Hostnames));
        cmd.Parameters.AddWithValue("scopes", PgValues.Array(p.Scopes));
        cmd.Parameters.AddWithValue("routes", p.RoutesJson);
        cmd.Parameters.AddWithValue("profile", p.TokenProfile);
        cmd.Parameters.AddWithValue("version", p.Version);
        cmd.Parameters.AddWithValue("created", p.CreatedAtMs);
        cmd.Parameters.AddWithValue("updated", p.UpdatedAtMs);
    }

    private static async Task<List<PlatformRecord>> ReadPlatformsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<PlatformRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new PlatformRecord
            {
                PlatformId = reader.GetString(0),
                Name = reader.GetString(1),
                Hostnames = reader.GetFieldValue<string[]>(2),
                Scopes = reader.GetFieldValue<string[]>(3),
                RoutesJson = reader.GetString(4),
                TokenProfile = reader.GetString(5),
                Version = reader.GetInt32(6),
                CreatedAtMs = reader.GetInt64(7),
                UpdatedAtMs = reader.GetInt64(8),
            });
        }

        return list;
    }

    private static async Task<List<GrantRecord>> ReadGrantsAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<GrantRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new GrantRecord(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetInt64(3)));
        }

        return list;
    }
}
