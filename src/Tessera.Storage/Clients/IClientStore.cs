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

    /// <summary>
    /// Atomically moves the client from one of <paramref name="from"/> to <paramref name="to"/>,
    /// recording <paramref name="reason"/> and clearing the denial counter; false when the client
    /// does not exist or is in another state.
    /// </summary>
    Task<bool> TransitionAsync(string entityId, IReadOnlyList<string> from, string to, string reason, long nowMs, CancellationToken cancellationToken);

    /// <summary>Changes the descriptive fields and keys; null leaves a field alone. False when there is no such client.</summary>
    Task<bool> UpdateDetailsAsync(string entityId, ClientDetailsUpdate update, long nowMs, CancellationToken cancellationToken);

    /// <summary>
    /// Applies verifier outcomes in order (a denial run adds its count, an allowed run resets to
    /// zero) in one atomic step; when the counter reaches <paramref name="suspendAt"/> (0 = never)
    /// and the client is active, it becomes <c>suspended</c>.
    /// </summary>
    Task<OutcomeResult> ApplyOutcomesAsync(string entityId, IReadOnlyList<OutcomeRun> runs, int suspendAt, long nowMs, CancellationToken cancellationToken);

    /// <summary>Replaces the secret hash; the old one stays valid until <paramref name="previousValidUntilMs"/> (null: not at all).</summary>
    Task<bool> RotateSecretAsync(string entityId, byte[] newSecretHash, long? previousValidUntilMs, long nowMs, CancellationToken cancellationToken);
}

/// <summary>Fields of <see cref="IClientStore.UpdateDetailsAsync"/>; null leaves a field as it is.</summary>
/// <param name="Owner">New owner.</param>
/// <param name="MetadataJson">New metadata (JSON object).</param>
/// <param name="Jwks">New public keys (JWK Set JSON, empty for none).</param>
/// <param name="TokenTtl">New token lifetime.</param>
/// <param name="SecretEnabled">Whether the secret may authenticate.</param>
public sealed record ClientDetailsUpdate(string? Owner = null, string? MetadataJson = null, string? Jwks = null, int? TokenTtl = null, bool? SecretEnabled = null);

/// <summary>A run of identical verifier outcomes.</summary>
/// <param name="Denied">True for denials that count towards suspension.</param>
/// <param name="Count">How many.</param>
public readonly record struct OutcomeRun(bool Denied, int Count);

/// <summary>What applying outcomes did.</summary>
/// <param name="Found">False when there is no such client.</param>
/// <param name="ConsecutiveDenials">The counter afterwards.</param>
/// <param name="Suspended">True when this call suspended the client.</param>
public readonly record struct OutcomeResult(bool Found, int ConsecutiveDenials, bool Suspended);
