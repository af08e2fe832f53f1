using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Broker.Metrics;
using Tessera.Broker.Revocation;
using Tessera.Errors;

namespace Tessera.Broker.Tokens;

/// <summary>
/// <c>POST /v1/token/validate</c>, <c>/v1/token/renew</c>, <c>/v1/token/release</c>. Requests are
/// checked by <see cref="TokenValidation"/>, the work done by <see cref="TokenLifecycle"/>.
/// </summary>
internal static class TokenEndpoints
{
    private const string InvalidTokenMessage = "token is invalid or expired";

    /// <summary>The one answer to every invalid, expired or revoked token (immutable, so shared).</summary>
    private static readonly ValidateFailure Invalid = new(false, InvalidTokenMessage);

    public static void Map(IEndpointRouteBuilder app)
    {
        // The token to validate is in the body; the caller needs no credential of its own.
        app.MapPost("/v1/token/validate", ValidateAsync)
            .RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous()
            .WithName("validateToken")
            .WithSummary("Check a token and read its claims")
            .WithDescription("Verifies the signature (pinned algorithm), typ, issuer, expiry and not-before, then the revocation list; the audience is not checked. The answer is 200 whether or not the token is valid: an invalid, expired or revoked token all get {\"valid\":false,\"error\":\"token is invalid or expired\"}, so nothing is revealed about why. A delegated token's claims include delegation_chain and chain_hash. No authentication; rate limited with the public token bucket.")
            .WithTags("Tokens")
            .ProducesErrors(ErrorCatalog.InvalidRequest);
        var bearer = app.MapGroup("/v1/token").RequireAuthorization(BrokerPolicies.Bearer);
        bearer.MapPost("/renew", RenewAsync).WithMetadata(RenewalRefusalAudit.Instance)
            .WithName("renewToken")
            .WithSummary("Exchange a live agent token for a fresh one")
            .WithDescription("Revokes the Bearer token and issues a new one with the same subject, audience, scope, task_id, orch_id and client_id, and the old token's lifetime capped by the agent's launch-policy max_ttl and the broker's max_ttl. No request body is read. Only registered agents' own tokens renew: admins authenticate again, credential agents exchange their credentials again, delegated tokens are delegated again. Each agent has a renewal budget (renew_rate per minute); a token renews only once.")
            .WithTags("Tokens")
            .ProducesErrors(
                ErrorCatalog.Unauthorized, ErrorCatalog.AgentRevoked, ErrorCatalog.AgentSuspended, ErrorCatalog.DelegatedTokenNotRenewable,
                ErrorCatalog.RateLimited, ErrorCatalog.InsufficientScope);
        bearer.MapPost("/release", ReleaseAsync)
            .WithName("releaseToken")
            .WithSummary("Give up a token before it expires")
            .WithDescription("Revokes the presented Bearer token (by its jti) so it stops working at once. Any valid token may release itself. No request body is read.")
            .WithTags("Tokens");
    }

    private static async Task<Results<Ok<ValidateSuccess>, Ok<ValidateFailure>, ProblemResult>> ValidateAsync(
        RequestBody<ValidateRequest> body, HttpContext context, TokenService tokens, RevocationList revocations, AuditLog audit, TimeProvider time,
        BrokerMetrics metrics, AuditThrottle throttle, CancellationToken cancellationToken)
    {
        if (TokenValidation.CheckValidateRequest(body.Value) is { } invalid)
        {
            return invalid.ToResult();
        }

        var valid = await TokenLifecycle.ValidateAsync(
            body.Value.Token!, context.Connection.RemoteIpAddress, tokens, revocations, audit, time, metrics, throttle, cancellationToken);
        if (valid is null)
        {
            return TypedResults.Ok(Invalid);
        }

        return TypedResults.Ok(valid);
    }

    private static async Task<Results<Ok<RenewResponse>, ProblemResult>> RenewAsync(
        HttpContext context, [AsParameters] RenewalServices services, CancellationToken cancellationToken)
    {
        var outcome = await TokenLifecycle.RenewAsync(context.BearerClaims(), services, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            if (outcome.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            return failure.ToResult();
        }

        return TypedResults.Ok(outcome.Response!);
    }

    private static async Task<NoContent> ReleaseAsync(
        HttpContext context, RevocationList revocations, BrokerMetrics metrics, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        await TokenLifecycle.ReleaseAsync(context.BearerClaims(), revocations, metrics, audit, time, cancellationToken);
        return TypedResults.NoContent();
    }
}
