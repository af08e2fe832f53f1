using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Sqlite;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The one place that tells the storage provider from the <c>db</c> setting (<c>TESSERA_DB</c>,
/// the CLI's <c>--db</c>) and the only code of the broker that calls a provider project. A
/// <c>postgres://</c> or <c>postgresql://</c> URL, or an Npgsql connection string with a
/// <c>Host</c> (<c>Host=db;Username=tessera;Database=tessera</c>), names PostgreSQL; anything
/// else is the path of the SQLite file.
/// </summary>
public static class StorageProvider
{
    /// <summary>The provider that <paramref name="db"/> names.</summary>
    public static StorageProviderKind Detect(string? db) =>
        PostgreSqlConnectionString.IsPostgreSql(db) ? StorageProviderKind.PostgreSql : StorageProviderKind.Sqlite;

    /// <summary>
    /// Why <paramref name="db"/> cannot be used by the provider it names, or null when it can be.
    /// The reason never repeats a password.
    /// </summary>
    public static string? Validate(string db) =>
        Detect(db) == StorageProviderKind.PostgreSql && !PostgreSqlConnectionString.TryNormalize(db, out _, out string error)
            ? error
            : null;

    /// <summary>Registers the stores of the provider that <paramref name="db"/> names.</summary>
    internal static StorageProviderKind AddStores(IServiceCollection services, string db)
    {
        var provider = Detect(db);
        switch (provider)
        {
            case StorageProviderKind.PostgreSql:
                services.AddTesseraPostgreSqlStorage(db);
                break;
            default:
                services.AddTesseraSqliteStorage(db);
                break;
        }

        return provider;
    }
}
