using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Storage.Agents;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Tokens;

/// <summary><c>POST /v1/token/validate</c>, <c>/v1/token/renew</c>, <c>/v1/token/release</c>.</summary>
internal static class TokenEndpoints
{
    private const string InvalidTokenMessage = "token is invalid or expired";

    public static void Map(IEndpointRouteBuilder app)
    {
        // The token to validate is in the body; the caller needs no credential of its own.
        app.MapPost("/v1/token/validate", ValidateAsync).RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous();
        var bearer = app.MapGroup("/v1/token").RequireAuthorization(BrokerPolicies.Bearer);
        bearer.MapPost("/renew", RenewAsync).WithMetadata(RenewalRefusalAudit.Instance);
        bearer.MapPost("/release", ReleaseAsync);
    }

    private static async Task ValidateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.ValidateRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        if (string.IsNullOrEmpty(body.Value!.Token))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "token field is required").ExecuteAsync(context);
            return;
        }

        var result = services.GetRequiredService<TokenService>().Verify(body.Value.Token);
        var audit = services.GetRequiredService<AuditLog>();
        if (!result.IsValid)
        {
            if (result.Error == Tessera.Tokens.TokenError.NotYetValid)
            {
                services.GetRequiredService<Metrics.BrokerMetrics>().ClockSkew.Inc();
            }

            // Anyone can send garbage here: at most one event per second per address and reason.
            string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (services.GetRequiredService<AuditThrottle>().TryAcquire($"{AuditEventTypes.TokenAuthFailed} validate {address} {result.Error}", out long suppressed))
            {
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"token validation failed | reason={result.Reason}{AuditThrottle.Suffix(suppressed)}"), cancellationToken: context.RequestAborted);
            }

            await Results.Json(new ValidateFailure(false, InvalidTokenMessage), BrokerJson.Default.ValidateFailure).ExecuteAsync(context);
            return;
        }

        var claims = result.Claims;
        if (services.GetRequiredService<RevocationList>().IsRevoked(claims))
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRevokedAccess, Tessera.Audit.AuditOutcomes.Denied, $"revoked token presented for validation | jti={claims.JwtId}", claims.Subject, claims.TaskId, claims.OrchId), cancellationToken: context.RequestAborted);
            await Results.Json(new ValidateFailure(false, InvalidTokenMessage), BrokerJson.Default.ValidateFailure).ExecuteAsync(context);
            return;
        }

        var chain = claims.DelegationChain.Count == 0 ? null
            : claims.DelegationChain.Select(h => new Delegation.DelegationHopView(h.Agent, [.. h.Scope], h.DelegatedAt, h.Signature, h.KeyId)).ToArray();
        var view = new ClaimsView(claims.Issuer, claims.Subject, [.. claims.Audience], claims.ExpiresAt, claims.NotBefore, claims.IssuedAt, claims.JwtId, [.. claims.Scope], claims.ClientId, claims.TaskId ?? "", claims.OrchId ?? "", claims.AppId, chain, claims.ChainHash);
        await Results.Json(new ValidateSuccess(true, view), BrokerJson.Default.ValidateSuccess).ExecuteAsync(context);
    }

    private static async Task RenewAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();
        var old = context.BearerClaims();
        var tokens = services.GetRequiredService<TokenService>();

        // Admin tokens are renewed by authenticating again; only agent tokens renew here.
        var agent = await services.GetRequiredService<IAgentStore>().FindAsync(old.Subject, context.RequestAborted);
        if (agent is null)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, "token renewal failed | subject is not a registered agent", old.Subject), cancellationToken: context.RequestAborted);
            bool credentialAgent = old.ClientId is { } keyId && keyId.StartsWith("tsr_kid_", StringComparison.Ordinal) && old.AppId is null;
            await new ProblemResult(
                ErrorCatalog.Unauthorized, "token renewal failed",
                credentialAgent ? "tokens from the credential exchange are not renewed: exchange the credentials again (POST /v1/token)" : "only agent tokens can be renewed; admins authenticate again").ExecuteAsync(context);
            return;
        }

        if (agent.Status == "revoked")
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, "token renewal failed | agent revoked", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.AgentRevoked, "agent has been revoked", "register a new agent with a fresh launch token").ExecuteAsync(context);
            return;
        }

        if (agent.Status == "suspended")
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, "denied", "token renewal failed | agent suspended", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.AgentSuspended, "agent is suspended", "an operator unsuspends it (POST /v1/admin/agents/{id}/unsuspend); the tokens it held before stay revoked").ExecuteAsync(context);
            return;
        }

        // A delegated token must never outlive its delegator's, which the broker cannot see from here.
        if (old.DelegationChain.Count > 0)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, $"token renewal failed | delegated token | jti={old.JwtId}", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.DelegatedTokenNotRenewable, "delegated tokens cannot be renewed", "ask the delegating agent for a new delegation").ExecuteAsync(context);
            return;
        }

        var limiter = services.GetRequiredService<Credentials.ExchangeLimiter>();
        if (limiter.CheckRenewal(old.Subject) is { } limited)
        {
            if (services.GetRequiredService<AuditThrottle>().TryAcquire("renew " + old.Subject, out long suppressed))
            {
                // At most once a second per agent: a renewal loop must not turn into an audit flood.
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, $"token renewal failed | rate limited | code={limited.Error.Code} | jti={old.JwtId}{AuditThrottle.Suffix(suppressed)}", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            }

            context.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await new ProblemResult(limited.Error, "too many renewals for this agent", $"renew a token shortly before it expires, not on every call (TESSERA_RENEW_RATE per minute); wait {limited.RetryAfterSeconds} second(s)").ExecuteAsync(context);
            return;
        }

        // Same lifetime as the token being renewed, never above the launch policy or the broker ceiling.
        int ttl = tokens.ClampToCeiling(Math.Min(old.Lifetime, agent.MaxTtl));

        // The predecessor dies first and only once: of concurrent renewals of one token, exactly one wins.
        if (!await services.GetRequiredService<RevocationList>().TryRevokeTokenOnceAsync(old.JwtId, "renewed", old.ExpiresAt * 1000, context.RequestAborted))
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, $"token renewal failed | token already renewed or revoked | jti={old.JwtId}", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.InsufficientScope, "token has been revoked", "this token was already renewed or released; use its successor or register again").ExecuteAsync(context);
            return;
        }

        var (token, claims) = tokens.Issue(old.Subject, old.Audience, old.Scope, ttl, old.TaskId, old.OrchId, old.ClientId, old.DelegationChain, old.ChainHash, appId: old.AppId);

        // The status was read before the token was issued: a revocation committed in between takes its
        // agent entry's revoked_at later than that read, possibly before this iat, and would miss the
        // token. Read it again now that iat is fixed (the predecessor is already spent, as it should be).
        if (await services.GetRequiredService<IAgentStore>().FindAsync(old.Subject, context.RequestAborted) is not { Status: not "revoked" })
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, "token renewal failed | agent revoked during renewal", old.Subject, old.TaskId, old.OrchId), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.AgentRevoked, "agent has been revoked", "register a new agent with a fresh launch token").ExecuteAsync(context);
            return;
        }

        var metrics = services.GetRequiredService<Metrics.BrokerMetrics>();
        metrics.TokenIssued(claims.Scope);
        metrics.TokensRevoked.WithLabels("renew").Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenRenewed, Tessera.Audit.AuditOutcomes.Success, $"token renewed | old_jti={old.JwtId} | new_jti={claims.JwtId} | ttl={ttl}", old.Subject, old.TaskId, old.OrchId),
            cancellationToken: context.RequestAborted);
        await Results.Json(new RenewResponse(token, ttl, "Bearer"), BrokerJson.Default.RenewResponse).ExecuteAsync(context);
    }

    private static async Task ReleaseAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();
        var claims = context.BearerClaims();
        await services.GetRequiredService<RevocationList>().RevokeAsync(RevocationLevel.Token, claims.JwtId, "released", claims.ExpiresAt * 1000, context.RequestAborted);
        services.GetRequiredService<Metrics.BrokerMetrics>().TokensRevoked.WithLabels("release").Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenReleased, Tessera.Audit.AuditOutcomes.Success, $"token released | jti={claims.JwtId}", claims.Subject, claims.TaskId, claims.OrchId),
            cancellationToken: context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
