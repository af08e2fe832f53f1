namespace Tessera.Broker.Hosting;

/// <summary>Where the broker keeps its state; see <see cref="StorageProvider.Detect"/>.</summary>
public enum StorageProviderKind
{
    /// <summary>An embedded SQLite file (<c>Tessera.Storage.Sqlite</c>): one broker process, the default.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<c>Tessera.Storage.PostgreSql</c>), which several replicas may share.</summary>
    PostgreSql,
}
