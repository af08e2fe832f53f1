using Microsoft.Extensions.DependencyInjection;

namespace Tessera.Storage.Sqlite;

/// <summary>
/// SQLite as a <see cref="IStorageProvider"/>: the <c>db</c> setting is the path of the database file.
/// It handles every setting, so a host lists it last, after the providers that recognise their own.
/// One file serves one broker process.
/// </summary>
public sealed class SqliteStorageProvider : IStorageProvider
{
    /// <inheritdoc />
    public string Name => "sqlite";

    /// <inheritdoc />
    public bool SharedAcrossReplicas => false;

    /// <inheritdoc />
    public bool Handles(string? db) => true;

    /// <inheritdoc />
    public string? Validate(string db) => null;

    /// <inheritdoc />
    public void AddStores(IServiceCollection services, string db) => services.AddTesseraSqliteStorage(db);
}
