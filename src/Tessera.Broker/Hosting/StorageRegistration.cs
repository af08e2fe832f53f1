using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Configuration;
using Tessera.Broker.Keys;
using Tessera.Storage;
using Tessera.Storage.Keys;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The stores of the provider that serves <c>TESSERA_DB</c> (the host's pick, see <see cref="IStorageProvider"/>),
/// and where the signing key rings live: their key files, or, on PostgreSQL with
/// <c>TESSERA_KEY_ENCRYPTION_KEY</c>, the database, sealed, shared by every replica.
/// </summary>
internal static class StorageRegistration
{
    public static IServiceCollection AddTesseraStorage(this IServiceCollection services, BrokerOptions options, IStorageProvider provider)
    {
        provider.AddStores(services, options.Db);
        if (!provider.SharedAcrossReplicas)
        {
            AddKeyFiles(services, options);
            return services;
        }

        // Replicas: revocations committed by one reach every other's checks and feed.
        services.AddHostedService<Revocation.RevocationFollower>();

        if (options.KeyEncryptionKey is not { } keyEncryptionKey)
        {
            AddKeyFiles(services, options);
            return services;
        }

        // Replicas: one set of signing keys, sealed in the database; a change on one reaches all.
        services.AddSingleton(_ => new KeyRingSealer(Convert.FromBase64String(keyEncryptionKey.Trim())));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.MainRing, (sp, _) => new DatabaseSigningKeyStorage(
            sp.GetRequiredService<IKeyRingStore>(), KeyRotation.MainRing, sp.GetRequiredService<KeyRingSealer>(), sp.GetRequiredService<TimeProvider>(), options.SigningKeyPath));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.ProfileRing, (sp, _) => new DatabaseSigningKeyStorage(
            sp.GetRequiredService<IKeyRingStore>(), KeyRotation.ProfileRing, sp.GetRequiredService<KeyRingSealer>(), sp.GetRequiredService<TimeProvider>(), options.EffectiveProfileSigningKeyPath));
        services.AddHostedService<KeyRingFollower>();
        return services;
    }

    private static void AddKeyFiles(IServiceCollection services, BrokerOptions options)
    {
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.MainRing, (sp, _) => new FileSigningKeyStorage(options.SigningKeyPath, sp.GetRequiredService<TimeProvider>()));
        services.AddKeyedSingleton<ISigningKeyStorage>(KeyRotation.ProfileRing, (sp, _) => new FileSigningKeyStorage(options.EffectiveProfileSigningKeyPath, sp.GetRequiredService<TimeProvider>()));
    }
}
