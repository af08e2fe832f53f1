using Microsoft.Extensions.DependencyInjection;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// PostgreSQL as a <see cref="IStorageProvider"/>: a <c>postgres://</c> or <c>postgresql://</c> URL,
/// or an Npgsql connection string with a <c>Host</c>. Several broker replicas may share one database.
/// </summary>
public sealed class PostgreSqlStorageProvider : IStorageProvider
{
    /// <inheritdoc />
    public string Name => "postgresql";

    /// <inheritdoc />
    public bool SharedAcrossReplicas => true;

    /// <inheritdoc />
    public bool Handles(string? db) => PostgreSqlConnectionString.IsPostgreSql(db);

    /// <inheritdoc />
    public string? Validate(string db) => PostgreSqlConnectionString.TryNormalize(db, out _, out string error) ? null : error;

    /// <inheritdoc />
    public void AddStores(IServiceCollection services, string db) => services.AddTesseraPostgreSqlStorage(db);
}
