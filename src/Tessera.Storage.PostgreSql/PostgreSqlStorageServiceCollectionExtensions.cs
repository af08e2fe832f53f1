using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Health;
using Tessera.Storage.Keys;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.PostgreSql;

/// <summary>Registers the PostgreSQL stores.</summary>
public static class PostgreSqlStorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers every Tessera store on the PostgreSQL database named by
    /// <paramref name="connectionStringOrUrl"/> (a <c>postgres://</c> URL or an Npgsql connection
    /// string, see <see cref="PostgreSqlConnectionString"/>), as singletons sharing one
    /// <see cref="PostgreSqlDatabase"/>: <see cref="ILaunchTokenStore"/>, <see cref="INonceStore"/>,
    /// <see cref="IAgentStore"/> and <see cref="IRegistrationStore"/>, <see cref="IRevocationStore"/>,
    /// <see cref="IAuditStore"/>, <see cref="IClientStore"/>, <see cref="IPlatformStore"/>,
    /// <see cref="IAssertionReplayStore"/>, <see cref="IAgentInventory"/>, <see cref="IKeyRingStore"/> and
    /// <see cref="IStorageHealth"/>; and, because several replicas share the database, the change
    /// signals of what any of them commits: <see cref="IRevocationChangeSignal"/> and
    /// <see cref="IKeyRingChangeSignal"/>. The database is connected to and migrated when first
    /// resolved, not here.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="connectionStringOrUrl">The database: <c>postgres://user:password@host:port/database</c> or <c>Host=...;...</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTesseraPostgreSqlStorage(this IServiceCollection services, string connectionStringOrUrl)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrUrl);
        services.AddSingleton(_ => PostgreSqlDatabase.Open(connectionStringOrUrl));
        services.AddSingleton<IStorageHealth>(sp => new HealthOf(sp.GetRequiredService<PostgreSqlDatabase>()));
        services.AddSingleton<ILaunchTokenStore, PostgreSqlLaunchTokenStore>();
        services.AddSingleton<INonceStore, PostgreSqlNonceStore>();
        services.AddSingleton<PostgreSqlAgentStore>();
        services.AddSingleton<IAgentStore>(sp => sp.GetRequiredService<PostgreSqlAgentStore>());
        services.AddSingleton<IRegistrationStore>(sp => sp.GetRequiredService<PostgreSqlAgentStore>());
        services.AddSingleton<IRevocationStore, PostgreSqlRevocationStore>();
        services.AddSingleton<IAuditStore, PostgreSqlAuditStore>();
        services.AddSingleton<IClientStore, PostgreSqlClientStore>();
        services.AddSingleton<IPlatformStore, PostgreSqlPlatformStore>();
        services.AddSingleton<IAssertionReplayStore, PostgreSqlAssertionReplayStore>();
        services.AddSingleton<IAgentInventory, PostgreSqlAgentInventory>();
        services.AddSingleton<IKeyRingStore, PostgreSqlKeyRingStore>();
        services.AddSingleton<IRevocationChangeSignal>(sp => sp.GetRequiredService<PostgreSqlDatabase>().Changes.Revocations);
        services.AddSingleton<IKeyRingChangeSignal>(sp => sp.GetRequiredService<PostgreSqlDatabase>().Changes.KeyRings);
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
