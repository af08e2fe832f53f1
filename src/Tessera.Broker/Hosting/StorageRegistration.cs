using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Configuration;
using Tessera.Broker.Keys;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Health;
using Tessera.Storage.Keys;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Revocations;
using Tessera.Storage.Sqlite;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The one place that picks the store from <c>TESSERA_DB</c>: a <c>postgres://</c> URL or an
/// Npgsql connection string (<c>Host=...</c>) selects PostgreSQL, the shared database of several
/// replicas; anything else is the path of the embedded SQLite file (the default). Also where the
/// signing key rings live: their key files, or, on PostgreSQL with <c>TESSERA_KEY_ENCRYPTION_KEY</c>,
/// the database, sealed, shared by every replica.
/// </summary>
internal static class StorageRegistration
{
    public static IServiceCollection AddTesseraStorage(this IServiceCollection services, BrokerOptions options)
    {
        if (!PostgreSqlConnectionString.IsPostgreSql(options.Db))
        {
            AddSqlite(services, options.Db);
            AddKeyFiles(services, options);
            return services;
        }

        services.AddSingleton(_ => PostgreSqlDatabase.Open(options.Db));
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

        // Replicas: revocations committed by one reach every other's checks and feed.
        services.AddSingleton<IRevocationChangeSignal>(sp => sp.GetRequiredService<PostgreSqlDatabase>().Changes.Revocations);
        services.AddHostedService<Revocation.RevocationFollower>();

        if (options.KeyEncryptionKey is not { } keyEncryptionKey)
        {
            AddKeyFiles(services, options);
            return services;
        }

        // Replicas: one set of signing keys, sealed in the database; a change on one reaches all.
        services.AddSingleton<IKeyRingStore, PostgreSqlKeyRingStore>();
        services.AddSingleton(_ => new KeyRingSealer(Convert.FromBase64String(keyEncryptionKey.Trim())));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.MainRing, (sp, _) => new DatabaseSigningKeyStorage(
            sp.GetRequiredService<IKeyRingStore>(), KeyRotation.MainRing, sp.GetRequiredService<KeyRingSealer>(), sp.GetRequiredService<TimeProvider>(), options.SigningKeyPath));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.ProfileRing, (sp, _) => new DatabaseSigningKeyStorage(
            sp.GetRequiredService<IKeyRingStore>(), KeyRotation.ProfileRing, sp.GetRequiredService<KeyRingSealer>(), sp.GetRequiredService<TimeProvider>(), options.EffectiveProfileSigningKeyPath));
        services.AddSingleton<IKeyRingChangeSignal>(sp => sp.GetRequiredService<PostgreSqlDatabase>().Changes.KeyRings);
        services.AddHostedService<KeyRingFollower>();
        return services;
    }

    private static void AddSqlite(IServiceCollection services, string path)
    {
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
    }

    private static void AddKeyFiles(IServiceCollection services, BrokerOptions options)
    {
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.MainRing, (sp, _) => new FileSigningKeyStorage(options.SigningKeyPath, sp.GetRequiredService<TimeProvider>()));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.ProfileRing, (sp, _) => new FileSigningKeyStorage(options.EffectiveProfileSigningKeyPath, sp.GetRequiredService<TimeProvider>()));
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
