namespace Tessera.Storage.Health;

/// <summary>What health checks and metrics ask of a store, whichever database it is.</summary>
public interface IStorageHealth
{
    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>The schema version applied.</summary>
    Task<int> SchemaVersionAsync(CancellationToken cancellationToken);
}
