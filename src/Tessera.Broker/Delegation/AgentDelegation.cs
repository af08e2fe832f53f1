using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Tessera.Identity;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Credentials;
using Tessera.Broker.Metrics;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Keys;
using Tessera.Scopes;
using Tessera.Storage.Audit;
using Tessera.Tokens;

namespace Tessera.Broker.Delegation;

/// <summary>
/// What <c>POST /v1/delegate</c> works with, bound from DI as one handler parameter
/// (<c>[AsParameters]</c>; a struct, so nothing is allocated for it).
/// </summary>
/// <param name="Options">The broker's settings.</param>
/// <param name="Time">The clock.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Metrics">The broker's metrics.</param>
/// <param name="Agents">The status of an agent of either kind.</param>
/// <param name="Revocations">The revocation list (a revoked chain root starts no chains).</param>
/// <param name="Tokens">Issues the delegated token.</param>
/// <param name="Keys">Signs the new hop.</param>
internal readonly record struct DelegationServices(
    IOptions<BrokerOptions> Options,
    TimeProvider Time,
    AuditLog Audit,
    BrokerMetrics Metrics,
    AgentDirectory Agents,
    RevocationList Revocations,
    TokenService Tokens,
    SigningKeyRing Keys);

/// <summary>
/// The delegation itself: checks the delegating token against the request (depth, attenuation), the
/// delegate's status and the chain's revocation, signs the new hop, issues the token, checks the
/// statuses again and audits. The request was validated by <see cref="DelegationValidation"/>.
/// </summary>
internal static class AgentDelegation
{
    /// <summary>
    /// The delegating agent's status first: an admin token cannot delegate, a suspended agent may not.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<Failure?> CheckDelegatorAsync(AccessTokenClaims delegator, AgentDirectory agents, CancellationToken cancellationToken)
    {
        string? status = await agents.StatusAsync(delegator.Subject, cancellationToken);
        if (status is null)
        {
            return new Failure(ErrorCatalog.InsufficientScope, "only agent tokens can delegate");
        }

        if (status == AgentStatuses.Suspended)
        {
            return new Failure(ErrorCatalog.AgentSuspended, "the delegating agent is suspended");
        }

        return null;
    }

    /// <summary>Issues the delegated token for a validated request, or says why not.</summary>
    /// <remarks>The pooling builder: splitting the work out of the handler adds no allocation per request.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<DelegateOutcome> DelegateAsync(
        AccessTokenClaims delegator, string delegateTo, ScopeSet requested, int ttl, DelegationServices s, CancellationToken cancellationToken)
    {
        var options = s.Options.Value;
        var time = s.Time;
        int depth = delegator.DelegationDepth;
        if (depth >= options.MaxDelegationDepth)
        {
            await s.Audit.RecordAsync(
                Draft(time, AuditEventTypes.DelegationAttenuationViolation, AuditOutcomes.Denied, $"delegation depth limit exceeded | delegator={delegator.Subject} | target={delegateTo} | depth={depth} | max={options.MaxDelegationDepth}", delegator, depth),
                cancellationToken: cancellationToken);
            return Fail(ErrorCatalog.DelegationDepthExceeded, "delegation depth limit exceeded", $"this token is already {depth} delegation(s) deep; the broker allows {options.MaxDelegationDepth}");
        }

        var held = ScopeSet.Of([.. delegator.Scope]);
        if (held.FirstUncovered(requested) is { } uncovered)
        {
            await s.Audit.RecordAsync(
                Draft(time, AuditEventTypes.DelegationAttenuationViolation, AuditOutcomes.Denied, $"delegation_attenuation_violation | delegator={delegator.Subject} | target={delegateTo} | requested={string.Join(',', requested.ToArray())} | allowed={string.Join(',', delegator.Scope)}", delegator, depth),
                cancellationToken: cancellationToken);
            return Fail(ErrorCatalog.ScopeViolation, "delegated scope exceeds delegator scope", $"'{uncovered.Value}' is not covered by the delegating token's scope");
        }

        string? delegateStatus = await s.Agents.StatusAsync(delegateTo, cancellationToken);
        if (delegateStatus is null)
        {
            return Fail(ErrorCatalog.NotFound, "delegate agent not found", "delegate_to must name an agent registered with this broker");
        }

        // The status, not the revocation list, says whether the delegate may receive tokens: an agent
        // entry ends only tokens issued before it and outlives an unsuspension.
        if (delegateStatus == AgentStatuses.Revoked)
        {
            return Fail(ErrorCatalog.AgentRevoked, "delegate agent has been revoked");
        }

        if (delegateStatus == AgentStatuses.Suspended)
        {
            return Fail(ErrorCatalog.AgentSuspended, "delegate agent is suspended");
        }

        // A revoked chain root may not start new chains: they would outlive the revocation entry.
        if (s.Revocations.IsChainRevoked(delegator.ChainRoot ?? delegator.Subject))
        {
            return Fail(ErrorCatalog.AgentRevoked, "delegation chains rooted at this agent have been revoked");
        }

        // Never outlive the delegating token, nor the broker's ceiling.
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        long remaining = delegator.ExpiresAt - now;
        int lifetime = s.Tokens.ClampToCeiling(Math.Min(ttl, remaining));

        var key = s.Keys.Active;
        string delegatedAt = Tessera.Time.Timestamps.Rfc3339Milliseconds(time.GetUtcNow());
        byte[] input = DelegationRecord.SigningInput(delegator.Subject, delegator.Scope, delegatedAt);
        byte[] signature = new byte[key.SignatureSize];
        int written = key.Sign(input, signature);
        var hop = new DelegationRecord(delegator.Subject, delegator.Scope, delegatedAt, System.Buffers.Text.Base64Url.EncodeToString(signature.AsSpan(0, written)), key.KeyId);
        var chain = new List<DelegationRecord>(delegator.DelegationChain) { hop };
        string chainHash = DelegationChain.Hash(chain);

        var (token, claims) = s.Tokens.Issue(
            delegateTo, delegator.Audience, requested.ToArray(), lifetime, delegator.TaskId, delegator.OrchId, delegateTo, chain, chainHash, notAfter: delegator.ExpiresAt, appId: delegator.AppId);
        lifetime = (int)(claims.ExpiresAt - claims.IssuedAt);
        if (lifetime <= 0)
        {
            // The delegating token expired while this request ran; nothing usable can come of it.
            return Fail(ErrorCatalog.Unauthorized, "token verification failed", "the delegating token expired; renew it and delegate again");
        }

        // The statuses were read before the token was issued. A suspension or revocation committed in
        // between takes its agent entry's revoked_at after that read, possibly before this iat, and the
        // entry would miss the token; read them again now that iat is fixed, for every agent of the
        // chain and the delegate (each once, in that order): a transition committed after this read
        // takes a later revoked_at.
        for (int i = 0; i <= chain.Count; i++)
        {
            string agentId = i < chain.Count ? chain[i].Agent : delegateTo;
            if (SeenBefore(chain, i, agentId))
            {
                continue;
            }

            string? status = await s.Agents.StatusAsync(agentId, cancellationToken);
            if (status is AgentStatuses.Revoked or AgentStatuses.Suspended)
            {
                return Fail(status == AgentStatuses.Revoked ? ErrorCatalog.AgentRevoked : ErrorCatalog.AgentSuspended, $"an agent of the delegation was {status} while it was being made");
            }
        }

        s.Metrics.TokenIssued(claims.Scope);
        await s.Audit.RecordAsync(
            Draft(time, AuditEventTypes.DelegationCreated, AuditOutcomes.Success, $"delegation from {delegator.Subject} to {delegateTo} scope={string.Join(',', claims.Scope)} depth={chain.Count} | jti={claims.JwtId}", claims, chain.Count, delegateTo, chainHash),
            cancellationToken: cancellationToken);

        return new DelegateOutcome(new DelegateResponse(token, lifetime, "Bearer", DelegationViews.Of(chain), chainHash), null);
    }

    /// <summary>True when an agent of <paramref name="chain"/> before position <paramref name="end"/> is <paramref name="agentId"/>.</summary>
    private static bool SeenBefore(List<DelegationRecord> chain, int end, string agentId)
    {
        for (int j = 0; j < end; j++)
        {
            if (string.Equals(chain[j].Agent, agentId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static DelegateOutcome Fail(ErrorDescriptor error, string detail, string? hint = null) => new(null, new Failure(error, detail, hint));

    private static AuditEventDraft Draft(
        TimeProvider time, string type, string outcome, AuditText detail, AccessTokenClaims claims, int depth, string? agentId = null, string? chainHash = null) =>
        AuditDraft.Of(time, type, outcome, detail, agentId ?? claims.Subject, claims.TaskId, claims.OrchId) with
        {
            DelegDepth = depth,
            DelegChainHash = chainHash ?? claims.ChainHash ?? "",
        };
}

/// <summary>What a delegation came to: exactly one of the two is set.</summary>
internal readonly record struct DelegateOutcome(DelegateResponse? Response, Failure? Failure);
