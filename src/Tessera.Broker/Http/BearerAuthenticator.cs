using Microsoft.AspNetCore.Http;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Tokens;

namespace Tessera.Broker.Http;

/// <summary>
/// Authenticates the <c>Authorization: Bearer</c> token of a broker request: signature, issuer,
/// time, then revocation, then (optionally) a required scope. Answers as the seed broker does,
/// plus RFC 6750 <c>WWW-Authenticate</c> challenges. Handlers do not call it: the authentication
/// schemes do (<see cref="Authorization.BearerAuthenticationHandler"/>, which writes the refusals).
/// </summary>
internal sealed class BearerAuthenticator(TokenService tokens, RevocationList revocations, Audit.AuditLog audit, Audit.AuditThrottle throttle, TimeProvider time)
{
    /// <summary>
    /// Records a refused bearer check as the seed's event type (revoked access, scope violation, auth
    /// failure). The path is bounded (<see cref="Audit.AuditRedaction.Path"/>), and at most one event per
    /// second is written per client address, event type, subject and reason: the rest are counted, and
    /// the next event written carries that count as <c>suppressed=N</c>.
    /// </summary>
    public Task AuditDeniedAsync(BearerResult auth, ProblemResult problem, HttpContext context)
    {
        string type = auth.Revoked ? Audit.AuditEventTypes.TokenRevokedAccess
            : problem.Error == ErrorCatalog.InsufficientScope ? Audit.AuditEventTypes.ScopeViolation
            : Audit.AuditEventTypes.TokenAuthFailed;
        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!throttle.TryAcquire($"{type} {address} {auth.Claims?.Subject} {problem.Detail}", out long suppressed))
        {
            return Task.CompletedTask;
        }

        return audit.RecordAsync(
            Audit.AuditDraft.Of(time, type, Tessera.Audit.AuditOutcomes.Denied, $"{problem.Detail}{Audit.AuditRedaction.Path(context.Request.Path.Value)}{Audit.AuditThrottle.Suffix(suppressed)}", auth.Claims?.Subject, auth.Claims?.TaskId, auth.Claims?.OrchId),
            cancellationToken: context.RequestAborted);
    }

    public BearerResult Authenticate(HttpContext context, Scope? requiredScope = null)
    {
        string? header = context.Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return BearerResult.Fail(new ProblemResult(ErrorCatalog.Unauthorized, "missing authorization header", "send Authorization: Bearer <token>", "Bearer realm=\"tessera\""), TokenError.None);
        }

        if (!BearerHeader.TryRead(header, out string token))
        {
            return BearerResult.Fail(new ProblemResult(ErrorCatalog.Unauthorized, "invalid authorization scheme", "use the Bearer scheme", "Bearer realm=\"tessera\", error=\"invalid_request\""), TokenError.None);
        }

        var result = tokens.Verify(token);
        if (!result.IsValid)
        {
            return BearerResult.Fail(
                new ProblemResult(ErrorCatalog.Unauthorized, "token verification failed", Hint(result.Error), $"Bearer realm=\"tessera\", error=\"invalid_token\", error_description=\"{result.Reason}\""),
                result.Error);
        }

        if (revocations.IsRevoked(result.Claims))
        {
            return BearerResult.Fail(
                new ProblemResult(ErrorCatalog.InsufficientScope, "token has been revoked", "obtain a fresh token by registering again", "Bearer realm=\"tessera\", error=\"invalid_token\", error_description=\"token revoked\""),
                TokenError.None,
                result.Claims,
                revoked: true);
        }

        if (requiredScope is { } scope && !Grants(result.Claims, scope, tokens.Issuer))
        {
            return BearerResult.Fail(LacksScope(scope), TokenError.None, result.Claims);
        }

        return BearerResult.Ok(result.Claims, token);
    }

    /// <summary>The refusal of a valid token that does not grant <paramref name="scope"/>.</summary>
    public static ProblemResult LacksScope(Scope scope) =>
        new(ErrorCatalog.InsufficientScope, $"token lacks required scope: {scope.Value}", null, $"Bearer realm=\"tessera\", error=\"insufficient_scope\", scope=\"{scope.Value}\"");

    // The broker's own scopes (admin:…, app:…) are granted only by admin or app authentication:
    // the token must be the admin's (or an app's), addressed to this broker, and hold the scope
    // verbatim, so no wildcard such as "*:*:*" in an agent's grant can reach them.
    internal static bool Grants(AccessTokenClaims claims, Scope required, string issuer)
    {
        bool subjectFits = required.Value.StartsWith("admin:", StringComparison.Ordinal)
            ? string.Equals(claims.Subject, "admin", StringComparison.Ordinal)
            : required.Value.StartsWith("app:", StringComparison.Ordinal) && claims.Subject.StartsWith("app:", StringComparison.Ordinal) && claims.AppId is not null;
        if (!subjectFits || !claims.Audience.Contains(issuer, StringComparer.Ordinal))
        {
            return false;
        }

        return claims.Scope.Contains(required.Value, StringComparer.Ordinal);
    }

    private static string Hint(TokenError error) => error switch
    {
        TokenError.Expired => "the token expired: renew before expiry or obtain a new one",
        TokenError.NotYetValid => "the token is not valid yet: check clock synchronisation",
        _ => "obtain a new token from the broker",
    };
}

/// <summary>The outcome of a bearer check.</summary>
internal readonly record struct BearerResult(AccessTokenClaims? Claims, string? Token, ProblemResult? Problem, TokenError Error, bool Revoked)
{
    public static BearerResult Ok(AccessTokenClaims claims, string token) => new(claims, token, null, TokenError.None, false);

    public static BearerResult Fail(ProblemResult problem, TokenError error, AccessTokenClaims? claims = null, bool revoked = false) =>
        new(claims, null, problem, error, revoked);
}
