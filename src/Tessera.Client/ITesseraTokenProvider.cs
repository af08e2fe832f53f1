namespace Tessera.Client;

/// <summary>
/// Supplies the bearer token for a platform. Implemented by <see cref="TesseraAgent"/> (a
/// registered agent), <see cref="TesseraCredentialAgent"/> (key id + secret) and
/// <see cref="DelegatedToken"/>; used by <see cref="TesseraTokenHandler"/>.
/// </summary>
public interface ITesseraTokenProvider
{
    /// <summary>
    /// The platform (audience) to use for requests to <paramref name="host"/>, or null when this
    /// provider does not know the host.
    /// </summary>
    ValueTask<string?> AudienceForHostAsync(string host, CancellationToken cancellationToken);

    /// <summary>A valid token for <paramref name="audience"/>, from the cache when it is fresh.</summary>
    ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken);

    /// <summary>
    /// Drops <paramref name="rejected"/> (a platform refused it) and returns a freshly minted
    /// token; throws when no new token can be had (for example because the agent was revoked).
    /// </summary>
    Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken);
}
