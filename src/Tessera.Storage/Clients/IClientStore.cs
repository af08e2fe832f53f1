namespace Tessera.Storage.Clients;

/// <summary>Credentialed clients.</summary>
public interface IClientStore
{
    /// <summary>Stores a new client; false when the name is already taken for its kind.</summary>
    Task<bool> CreateAsync(ClientRecord record, CancellationToken cancellationToken);

    /// <summary>Finds by the public client id.</summary>
    Task<ClientRecord?> FindByClientIdAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Finds by entity id (app id).</summary>
    Task<ClientRecord?> FindByEntityIdAsync(string entityId, CancellationToken cancellationToken);

    /// <summary>Every client of a kind, oldest first.</summary>
    Task<IReadOnlyList<ClientRecord>> ListAsync(string kind, CancellationToken cancellationToken);

    /// <summary>Changes the grant and/or token lifetime; false when there is no such client.</summary>
    Task<bool> UpdateAsync(string entityId, IReadOnlyList<string>? scopes, int? tokenTtl, long nowMs, CancellationToken cancellationToken);

    /// <summary>Sets the status; false when there is no such client.</summary>
    Task<bool> SetStatusAsync(string entityId, string status, long nowMs, CancellationToken cancellationToken);

    /// <summary>Replaces the secret hash; the old one stays valid until <paramref name="previousValidUntilMs"/> (null: not at all).</summary>
    Task<bool> RotateSecretAsync(string entityId, byte[] newSecretHash, long? previousValidUntilMs, long nowMs, CancellationToken cancellationToken);
}
