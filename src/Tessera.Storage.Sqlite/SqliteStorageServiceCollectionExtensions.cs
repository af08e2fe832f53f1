using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Health;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.Sqlite;

/// <summary>Registers the SQLite stores.</summary>
public static class SqliteStorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers every Tessera store on the SQLite file at <paramref name="path"/>, as singletons
    /// sharing one <see cref="SqliteDatabase"/>: <see cref="ILaunchTokenStore"/>,
    /// <see cref="INonceStore"/>, <see cref="IAgentStore"/> and <see cref="IRegistrationStore"/>,
    /// <see cref="IRevocationStore"/>, <see cref="IAuditStore"/>, <see cref="IClientStore"/>,
    /// <see cref="IPlatformStore"/>, <see cref="IAssertionReplayStore"/>, <see cref="IAgentInventory"/>, and
    /// <see cref="IStorageHealth"/>. The file (and its directory) is created, owner-only, and
    /// migrated when the database is first resolved, not here. A SQLite file serves one broker
    /// process: no change signal and no key ring store are registered.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="path">The database file, absolute or relative to the working directory.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTesseraSqliteStorage(this IServiceCollection services, string path)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        services.AddSingleton(_ => SqliteDatabase.Open(path));
        services.AddSingleton<IStorageHealth>(sp => new HealthOf(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ILaunchTokenStore, SqliteLaunchTokenStore>();
        services.AddSingleton<INonceStore, SqliteNonceStore>();
        services.AddSingleton<SqliteAgentStore>();
        services.AddSingleton<IAgentStore>(sp => sp.GetRequiredService<SqliteAgentStore>());
        services.AddSingleton<IRegistrationStore>(sp => sp.GetRequiredService<SqliteAgentStore>());
        services.AddSingleton<IRevocationStore, SqliteRevocationStore>();
        services.AddSingleton<IAuditStore, SqliteAuditStore>();
        services.AddSingleton<IClientStore, SqliteClientStore>();
        services.AddSingleton<IPlatformStore, SqlitePlatformStore>();
        services.AddSingleton<IAssertionReplayStore, SqliteAssertionReplayStore>();
        services.AddSingleton<IAgentInventory, SqliteAgentInventory>();
        return services;
    }

    /// <summary>
    /// The database's health seen through a wrapper the container may own: were the database
    /// itself returned under a second service, the container would dispose it once more at the
    /// point that service was first asked for (often after the audit log), closing it before the
    /// audit log writes its shutdown checkpoint.
    /// </summary>
    private sealed class HealthOf(IStorageHealth database) : IStorageHealth
    {
        public Task<bool> PingAsync(CancellationToken cancellationToken) => database.PingAsync(cancellationToken);

        public Task<int> SchemaVersionAsync(CancellationToken cancellationToken) => database.SchemaVersionAsync(cancellationToken);
    }
}
