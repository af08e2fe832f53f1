using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Sqlite;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The one place that lists the storage providers the broker runs on and tells which one the
/// <c>db</c> setting (<c>TESSERA_DB</c>, the CLI's <c>--db</c>) names: a <c>postgres://</c> or
/// <c>postgresql://</c> URL, or an Npgsql connection string with a <c>Host</c>
/// (<c>Host=db;Username=tessera;Database=tessera</c>), names PostgreSQL; anything else is the path
/// of the SQLite file.
/// </summary>
public static class StorageProvider
{
    /// <summary>The providers, in the order they are asked: PostgreSQL recognises its settings, SQLite takes the rest.</summary>
    public static IReadOnlyList<IStorageProvider> All { get; } = [new PostgreSqlStorageProvider(), new SqliteStorageProvider()];

    /// <summary>The provider that <paramref name="db"/> names.</summary>
    public static StorageProviderKind Detect(string? db) =>
        For(db).SharedAcrossReplicas ? StorageProviderKind.PostgreSql : StorageProviderKind.Sqlite;

    /// <summary>
    /// Why <paramref name="db"/> cannot be used by the provider it names, or null when it can be.
    /// The reason never repeats a password.
    /// </summary>
    public static string? Validate(string db) => For(db).Validate(db);

    /// <summary>Registers the stores of the provider that <paramref name="db"/> names.</summary>
    public static StorageProviderKind AddStores(IServiceCollection services, string db)
    {
        For(db).AddStores(services, db);
        return Detect(db);
    }

    private static IStorageProvider For(string? db) => All.First(p => p.Handles(db));
}
