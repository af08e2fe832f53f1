using Microsoft.Extensions.DependencyInjection;

namespace Tessera.Storage;

/// <summary>
/// A storage provider as the broker's host sees it: which <c>db</c> settings (<c>TESSERA_DB</c>) it
/// serves, whether one is usable, and how to register its stores. Each provider project ships one;
/// the host passes the providers it carries to the broker, which picks the first that
/// <see cref="Handles"/> the setting. The broker itself references no provider.
/// </summary>
public interface IStorageProvider
{
    /// <summary>The provider's name in messages and metrics: <c>sqlite</c>, <c>postgresql</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether several broker processes may share one database of this provider (replicas): the broker
    /// then follows revocations and key rings that other processes write.
    /// </summary>
    bool SharedAcrossReplicas { get; }

    /// <summary>Whether <paramref name="db"/> names a database of this provider.</summary>
    bool Handles(string? db);

    /// <summary>Why <paramref name="db"/> cannot be used, or null when it can. The reason never repeats a password.</summary>
    string? Validate(string db);

    /// <summary>Registers every store of this provider on the database <paramref name="db"/> names.</summary>
    void AddStores(IServiceCollection services, string db);
}
