namespace Tessera.Storage.Nonces;

/// <summary>Registration challenges: single-use, short-lived.</summary>
public interface INonceStore
{
    /// <summary>Stores a fresh nonce.</summary>
    Task CreateAsync(string nonce, long expiresAtMs, CancellationToken cancellationToken);

    /// <summary>Uses a nonce up in one atomic statement; at most one caller ever sees <see cref="NonceConsumeResult.Consumed"/>.</summary>
    Task<NonceConsumeResult> ConsumeAsync(string nonce, long nowMs, CancellationToken cancellationToken);

    /// <summary>Deletes nonces that expired before <paramref name="nowMs"/>; returns how many.</summary>
    Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken);
}
