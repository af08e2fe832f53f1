namespace Tessera.AspNetCore.Errors;

/// <summary>
/// The verifier's stable error codes (the seed middleware's set plus <c>TOKEN_REVOKED</c>), each
/// with its HTTP status and the RFC 6750 <c>error</c> it maps to. Codes never change wording.
/// </summary>
/// <param name="Code">The stable code carried as <c>error_code</c>.</param>
/// <param name="Status">HTTP status.</param>
/// <param name="BearerError">RFC 6750 error for <c>WWW-Authenticate</c>, when one applies.</param>
/// <param name="Message">The default human message.</param>
public sealed record VerifierError(string Code, int Status, string? BearerError, string Message)
{
    /// <summary>No bearer token.</summary>
    public static readonly VerifierError MissingToken = new("MISSING_TOKEN", 401, null, "No bearer token was presented");

    /// <summary>Malformed token, wrong or unknown key, bad signature, missing claim.</summary>
    public static readonly VerifierError InvalidToken = new("INVALID_TOKEN", 401, "invalid_token", "The token is malformed or its signature does not verify");

    /// <summary><c>exp</c> has passed.</summary>
    public static readonly VerifierError ExpiredToken = new("EXPIRED_TOKEN", 401, "invalid_token", "The token has expired");

    /// <summary><c>nbf</c> is in the future.</summary>
    public static readonly VerifierError TokenNotYetValid = new("TOKEN_NOT_YET_VALID", 401, "invalid_token", "The token is not valid yet");

    /// <summary><c>aud</c> is not this platform.</summary>
    public static readonly VerifierError WrongAudience = new("WRONG_AUDIENCE", 401, "invalid_token", "The token was issued for another platform");

    /// <summary><c>iss</c> is not accepted.</summary>
    public static readonly VerifierError WrongIssuer = new("WRONG_ISSUER", 401, "invalid_token", "The token was issued by an issuer this platform does not accept");

    /// <summary>The token was revoked.</summary>
    public static readonly VerifierError TokenRevoked = new("TOKEN_REVOKED", 401, "invalid_token", "The token has been revoked");

    /// <summary>Valid token without the route's scope.</summary>
    public static readonly VerifierError MissingScope = new("MISSING_SCOPE", 403, "insufficient_scope", "The token lacks the scope this route requires");

    /// <summary>No rule for the route, or the rule says skip.</summary>
    public static readonly VerifierError RouteNotFound = new("ROUTE_NOT_FOUND", 404, null, "No such route");

    /// <summary>No usable keys could be had: 503 with <c>Retry-After</c> (the platform cannot verify now; the token may be fine).</summary>
    public static readonly VerifierError JwksUnavailable = new("JWKS_UNAVAILABLE", 503, null, "The verification keys could not be fetched");

    /// <summary>The scopes file could not be loaded.</summary>
    public static readonly VerifierError MiddlewareNotReady = new("MIDDLEWARE_NOT_READY", 500, null, "The route scopes file could not be loaded");

    /// <summary>Every code.</summary>
    public static IReadOnlyList<VerifierError> All { get; } =
        [MissingToken, InvalidToken, ExpiredToken, TokenNotYetValid, WrongAudience, WrongIssuer, TokenRevoked, MissingScope, RouteNotFound, JwksUnavailable, MiddlewareNotReady];
}
