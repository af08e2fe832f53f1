using Tessera.Broker.Http;
using Tessera.Scopes;
using Tessera.Tokens;

namespace Tessera.Broker.Authorization;

/// <summary>
/// What the bearer scheme found in one request, kept on the request's features: the check's outcome
/// (for the handler, and for the refusal the challenge writes) and the scope a policy found missing.
/// </summary>
internal sealed class BearerFeature(BearerResult result)
{
    public BearerResult Result { get; } = result;

    /// <summary>The scope the token lacked, set by <see cref="ScopeAuthorizationHandler"/>.</summary>
    public Scope? MissingScope { get; set; }

    /// <summary>The verified claims; only on endpoints whose policy authenticated the bearer token.</summary>
    public AccessTokenClaims Claims => Result.Claims ?? throw new InvalidOperationException("the request's bearer token was not authenticated");
}
