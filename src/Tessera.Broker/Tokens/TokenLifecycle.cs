using System.Net;
using System.Runtime.CompilerServices;
using Tessera.Identity;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Credentials;
using Tessera.Broker.Metrics;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Storage.Agents;
using Tessera.Storage.Revocations;
using Tessera.Tokens;

namespace Tessera.Broker.Tokens;

/// <summary>
/// What <c>POST /v1/token/renew</c> works with, bound from DI as one handler parameter
/// (<c>[AsParameters]</c>; a struct, so nothing is allocated for it).
/// </summary>
/// <param name="Time">The clock.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Metrics">The broker's metrics.</param>
/// <param name="Tokens">Issues the successor.</param>
/// <param name="Agents">The registered agents (only they renew).</param>
/// <param name="Limiter">The per-agent renewal budget.</param>
/// <param name="Throttle">Keeps a renewal loop from flooding the audit trail.</param>
/// <param name="Revocations">Spends the predecessor.</param>
internal readonly record struct RenewalServices(
    TimeProvider Time,
    AuditLog Audit,
    BrokerMetrics Metrics,
    TokenService Tokens,
    IAgentStore Agents,
    ExchangeLimiter Limiter,
    AuditThrottle Throttle,
    RevocationList Revocations);

/// <summary>
/// The work of the token endpoints: checking a token for anyone who asks, renewing an agent token,
/// releasing a token. Each audits what it did or refused.
/// </summary>
internal static class TokenLifecycle
{
    /// <summary>
    /// The claims of a valid, unrevoked token, or null (the caller answers the same for every
    /// invalid, expired or revoked token). Refusals are audited, an invalid token at most once a
    /// second per client address and reason.
    /// </summary>
    /// <remarks>
    /// The hot path's async methods use the pooling builder: splitting the work out of the handlers adds
    /// no allocation per request.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<ValidateSuccess?> ValidateAsync(
        string token, IPAddress? client, TokenService tokens, RevocationList revocations, AuditLog audit, TimeProvider time,
        BrokerMetrics metrics, AuditThrottle throttle, CancellationToken cancellationToken)
    {
        var result = tokens.Verify(token);
        if (!result.IsValid)
        {
            if (result.Error == TokenError.NotYetValid)
            {
                metrics.ClockSkew.Inc();
            }

            // Anyone can send garbage here: at most one event per second per address and reason.
            string address = client?.ToString() ?? "unknown";
            if (throttle.TryAcquire($"{AuditEventTypes.TokenAuthFailed} validate {address} {result.Error}", out long suppressed))
            {
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenAuthFailed, AuditOutcomes.Denied, $"token validation failed | reason={result.Reason}{AuditThrottle.Suffix(suppressed)}"), cancellationToken: cancellationToken);
            }

            return null;
        }

        var claims = result.Claims;
        if (revocations.IsRevoked(claims))
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRevokedAccess, AuditOutcomes.Denied, $"revoked token presented for validation | jti={claims.JwtId}", claims.Subject, claims.TaskId, claims.OrchId), cancellationToken: cancellationToken);
            return null;
        }

        var chain = claims.DelegationChain.Count == 0 ? null : Delegation.DelegationViews.Of(claims.DelegationChain);
        var view = new ClaimsView(claims.Issuer, claims.Subject, [.. claims.Audience], claims.ExpiresAt, claims.NotBefore, claims.IssuedAt, claims.JwtId, [.. claims.Scope], claims.ClientId, claims.TaskId ?? "", claims.OrchId ?? "", claims.AppId, chain, claims.ChainHash);
        return new ValidateSuccess(true, view);
    }

    /// <summary>
    /// Spends the agent token <paramref name="old"/> and issues its successor, with the same claims and
    /// lifetime (capped by the launch policy and the broker), or says why not.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<RenewOutcome> RenewAsync(AccessTokenClaims old, RenewalServices s, CancellationToken cancellationToken)
    {
        var time = s.Time;
        var audit = s.Audit;

        // Admin tokens are renewed by authenticating again; only agent tokens renew here.
        var agent = await s.Agents.FindAsync(old.Subject, cancellationToken);
        if (agent is null)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, "token renewal failed | subject is not a registered agent", old.Subject), cancellationToken: cancellationToken);
            bool credentialAgent = old.ClientId is { } keyId && keyId.StartsWith("tsr_kid_", StringComparison.Ordinal) && old.AppId is null;
            return Fail(
                ErrorCatalog.Unauthorized, "token renewal failed",
                credentialAgent ? "tokens from the credential exchange are not renewed: exchange the credentials again (POST /v1/token)" : "only agent tokens can be renewed; admins authenticate again");
        }

        if (agent.Status == AgentStatuses.Revoked)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, "token renewal failed | agent revoked", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            return AgentRevoked;
        }

        if (agent.Status == AgentStatuses.Suspended)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, "token renewal failed | agent suspended", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            return Fail(ErrorCatalog.AgentSuspended, "agent is suspended", "an operator unsuspends it (POST /v1/admin/agents/{id}/unsuspend); the tokens it held before stay revoked");
        }

        // A delegated token must never outlive its delegator's, which the broker cannot see from here.
        if (old.DelegationChain.Count > 0)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, $"token renewal failed | delegated token | jti={old.JwtId}", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            return Fail(ErrorCatalog.DelegatedTokenNotRenewable, "delegated tokens cannot be renewed", "ask the delegating agent for a new delegation");
        }

        if (s.Limiter.CheckRenewal(old.Subject) is { } limited)
        {
            if (s.Throttle.TryAcquire("renew " + old.Subject, out long suppressed))
            {
                // At most once a second per agent: a renewal loop must not turn into an audit flood.
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, $"token renewal failed | rate limited | code={limited.Error.Code} | jti={old.JwtId}{AuditThrottle.Suffix(suppressed)}", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            }

            return new RenewOutcome(
                null,
                new Failure(limited.Error, "too many renewals for this agent", $"renew a token shortly before it expires, not on every call (TESSERA_RENEW_RATE per minute); wait {limited.RetryAfterSeconds} second(s)"),
                limited.RetryAfterSeconds);
        }

        // Same lifetime as the token being renewed, never above the launch policy or the broker ceiling.
        int ttl = s.Tokens.ClampToCeiling(Math.Min(old.Lifetime, agent.MaxTtl));

        // The predecessor dies first and only once: of concurrent renewals of one token, exactly one wins.
        if (!await s.Revocations.TryRevokeTokenOnceAsync(old.JwtId, "renewed", old.ExpiresAt * 1000, cancellationToken))
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, $"token renewal failed | token already renewed or revoked | jti={old.JwtId}", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            return Fail(ErrorCatalog.InsufficientScope, "token has been revoked", "this token was already renewed or released; use its successor or register again");
        }

        var (token, claims) = s.Tokens.Issue(old.Subject, old.Audience, old.Scope, ttl, old.TaskId, old.OrchId, old.ClientId, old.DelegationChain, old.ChainHash, appId: old.AppId);

        // The status was read before the token was issued: a revocation committed in between takes its
        // agent entry's revoked_at later than that read, possibly before this iat, and would miss the
        // token. Read it again now that iat is fixed (the predecessor is already spent, as it should be).
        if (await s.Agents.FindAsync(old.Subject, cancellationToken) is not { Status: not AgentStatuses.Revoked })
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.TokenRenewalFailed, AuditOutcomes.Denied, "token renewal failed | agent revoked during renewal", old.Subject, old.TaskId, old.OrchId), cancellationToken: cancellationToken);
            return AgentRevoked;
        }

        s.Metrics.TokenIssued(claims.Scope);
        s.Metrics.TokensRevoked.WithLabels("renew").Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenRenewed, AuditOutcomes.Success, $"token renewed | old_jti={old.JwtId} | new_jti={claims.JwtId} | ttl={ttl}", old.Subject, old.TaskId, old.OrchId),
            cancellationToken: cancellationToken);
        return new RenewOutcome(new RenewResponse(token, ttl, "Bearer"), null, null);
    }

    /// <summary>Revokes the token <paramref name="claims"/> describes, for good.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask ReleaseAsync(AccessTokenClaims claims, RevocationList revocations, BrokerMetrics metrics, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        await revocations.RevokeAsync(RevocationLevel.Token, claims.JwtId, "released", claims.ExpiresAt * 1000, cancellationToken);
        metrics.TokensRevoked.WithLabels("release").Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenReleased, AuditOutcomes.Success, $"token released | jti={claims.JwtId}", claims.Subject, claims.TaskId, claims.OrchId),
            cancellationToken: cancellationToken);
    }

    private static RenewOutcome AgentRevoked => Fail(ErrorCatalog.AgentRevoked, "agent has been revoked", "register a new agent with a fresh launch token");

    private static RenewOutcome Fail(ErrorDescriptor error, string detail, string? hint = null) => new(null, new Failure(error, detail, hint), null);
}

/// <summary>
/// What a renewal came to: the successor, or the failure (with the <c>Retry-After</c> seconds when it
/// is the renewal budget).
/// </summary>
internal readonly record struct RenewOutcome(RenewResponse? Response, Failure? Failure, int? RetryAfterSeconds);
