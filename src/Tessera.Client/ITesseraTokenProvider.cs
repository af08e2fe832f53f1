namespace Tessera.Client;

/// <summary>
/// Supplies the bearer token for a platform. Implemented by <see cref="TesseraAgent"/> (a
/// registered agent), <see cref="TesseraCredentialAgent"/> (key id + secret) and
/// <see cref="DelegatedToken"/>; used by <see cref="TesseraTokenHandler"/>.
/// </summary>
public interface ITesseraTokenProvider
{
    /// <summary>
    /// The platform (audience) whose token may be sent to <paramref name="origin"/>, or null when
    /// none may: the handler then refuses the request and no token leaves the process.
    /// </summary>
    /// <param name="origin">
    /// The request's origin: scheme, lower-case host and port (always explicit, e.g.
    /// <c>https://orders.example.com:443</c>). A provider answers for the origins of its own
    /// platforms only, matching all three parts.
    /// </param>
    /// <param name="listed">
    /// True when the application allowed this origin itself (<see cref="TesseraHandlerOptions.AllowedOrigins"/>):
    /// the provider then only says which of its audiences to use there (a provider with a single
    /// token answers its audience; a credential agent the platform registered under that host name).
    /// </param>
    /// <param name="cancellationToken">Cancels a lookup at the broker.</param>
    ValueTask<string?> AudienceForOriginAsync(Uri origin, bool listed, CancellationToken cancellationToken);

    /// <summary>A valid token for <paramref name="audience"/>, from the cache when it is fresh.</summary>
    ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken);

    /// <summary>
    /// Drops <paramref name="rejected"/> (a platform refused it) and returns a freshly minted
    /// token; throws when no new token can be had (for example because the agent was revoked).
    /// </summary>
    Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken);
}
