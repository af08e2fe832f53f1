using System.Globalization;
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
using Tessera.Broker.Metrics;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Keys;
using Tessera.Scopes;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Tokens;

namespace Tessera.Broker.Delegation;

/// <summary>
/// <c>POST /v1/delegate</c>: an agent hands a narrower, shorter-lived token to another registered
/// agent. The chain travels in the token twice: as RFC 8693 nested <c>act</c> claims and as the
/// broker-signed <c>delegation_chain</c> records with their <c>chain_hash</c>.
/// </summary>
internal static class DelegationEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/v1/delegate", DelegateAsync).RequireAuthorization(BrokerPolicies.Bearer);

    private static async Task DelegateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();

        var delegator = context.BearerClaims();
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.DelegateRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var request = body.Value!;
        var agents = services.GetRequiredService<Credentials.AgentDirectory>();
        string? delegatorStatus = await agents.StatusAsync(delegator.Subject, context.RequestAborted);
        if (delegatorStatus is null)
        {
            await new ProblemResult(ErrorCatalog.InsufficientScope, "only agent tokens can delegate").ExecuteAsync(context);
            return;
        }

        if (delegatorStatus == "suspended")
        {
            await new ProblemResult(ErrorCatalog.AgentSuspended, "the delegating agent is suspended").ExecuteAsync(context);
            return;
        }

        if (string.IsNullOrEmpty(request.DelegateTo))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "delegate_to is required").ExecuteAsync(context);
            return;
        }

        if (!AgentId.TryParse(request.DelegateTo, out _))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "delegate_to must be an agent SPIFFE ID (spiffe://<trust-domain>/agent/<orch>/<task>/<instance>)").ExecuteAsync(context);
            return;
        }

        if (request.Scope is null || request.Scope.Length == 0)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "scope must not be empty").ExecuteAsync(context);
            return;
        }

        if (!ScopeSet.TryParse(request.Scope, out var requested, out string? scopeError))
        {
            await new ProblemResult(ErrorCatalog.InvalidScopeFormat, scopeError).ExecuteAsync(context);
            return;
        }

        if (requested.Items.FirstOrDefault(s => s.IsReserved) is { Value: not null } reserved)
        {
            await new ProblemResult(ErrorCatalog.ScopeViolation, "requested scope is in a reserved namespace", $"'{reserved.Value}' is under admin: or app:, which no agent token may carry").ExecuteAsync(context);
            return;
        }

        int ttl = request.Ttl ?? 60;
        if (ttl <= 0)
        {
            await new ProblemResult(ErrorCatalog.InvalidTtl, "ttl must be a positive number of seconds").ExecuteAsync(context);
            return;
        }

        int depth = delegator.DelegationDepth;
        if (depth >= options.MaxDelegationDepth)
        {
            await audit.RecordAsync(
                Draft(time, AuditEventTypes.DelegationAttenuationViolation, Tessera.Audit.AuditOutcomes.Denied, $"delegation depth limit exceeded | delegator={delegator.Subject} | target={request.DelegateTo} | depth={depth} | max={options.MaxDelegationDepth}", delegator, depth),
                cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.DelegationDepthExceeded, "delegation depth limit exceeded", $"this token is already {depth} delegation(s) deep; the broker allows {options.MaxDelegationDepth}").ExecuteAsync(context);
            return;
        }

        var held = ScopeSet.Of([.. delegator.Scope]);
        if (held.FirstUncovered(requested) is { } uncovered)
        {
            await audit.RecordAsync(
                Draft(time, AuditEventTypes.DelegationAttenuationViolation, Tessera.Audit.AuditOutcomes.Denied, $"delegation_attenuation_violation | delegator={delegator.Subject} | target={request.DelegateTo} | requested={string.Join(',', requested.ToArray())} | allowed={string.Join(',', delegator.Scope)}", delegator, depth),
                cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.ScopeViolation, "delegated scope exceeds delegator scope", $"'{uncovered.Value}' is not covered by the delegating token's scope").ExecuteAsync(context);
            return;
        }

        string? delegateStatus = await agents.StatusAsync(request.DelegateTo, context.RequestAborted);
        if (delegateStatus is null)
        {
            await new ProblemResult(ErrorCatalog.NotFound, "delegate agent not found", "delegate_to must name an agent registered with this broker").ExecuteAsync(context);
            return;
        }

        // The status, not the revocation list, says whether the delegate may receive tokens: an agent
        // entry ends only tokens issued before it and outlives an unsuspension.
        var revocations = services.GetRequiredService<RevocationList>();
        if (delegateStatus == "revoked")
        {
            await new ProblemResult(ErrorCatalog.AgentRevoked, "delegate agent has been revoked").ExecuteAsync(context);
            return;
        }

        if (delegateStatus == "suspended")
        {
            await new ProblemResult(ErrorCatalog.AgentSuspended, "delegate agent is suspended").ExecuteAsync(context);
            return;
        }

        // A revoked chain root may not start new chains: they would outlive the revocation entry.
        if (revocations.IsChainRevoked(delegator.ChainRoot ?? delegator.Subject))
        {
            await new ProblemResult(ErrorCatalog.AgentRevoked, "delegation chains rooted at this agent have been revoked").ExecuteAsync(context);
            return;
        }

        // Never outlive the delegating token, nor the broker's ceiling.
        var tokens = services.GetRequiredService<TokenService>();
        long now = time.GetUtcNow().ToUnixTimeSeconds();
        long remaining = delegator.ExpiresAt - now;
        int lifetime = tokens.ClampToCeiling(Math.Min(ttl, remaining));

        var keys = services.GetRequiredService<SigningKeyRing>();
        var key = keys.Active;
        string delegatedAt = Tessera.Time.Timestamps.Rfc3339Milliseconds(time.GetUtcNow());
        byte[] input = DelegationRecord.SigningInput(delegator.Subject, delegator.Scope, delegatedAt);
        byte[] signature = new byte[key.SignatureSize];
        int written = key.Sign(input, signature);
        var hop = new DelegationRecord(delegator.Subject, delegator.Scope, delegatedAt, System.Buffers.Text.Base64Url.EncodeToString(signature.AsSpan(0, written)), key.KeyId);
        var chain = new List<DelegationRecord>(delegator.DelegationChain) { hop };
        string chainHash = DelegationChain.Hash(chain);

        var (token, claims) = tokens.Issue(
            request.DelegateTo, delegator.Audience, requested.ToArray(), lifetime, delegator.TaskId, delegator.OrchId, request.DelegateTo, chain, chainHash, notAfter: delegator.ExpiresAt, appId: delegator.AppId);
        lifetime = (int)(claims.ExpiresAt - claims.IssuedAt);
        if (lifetime <= 0)
        {
            // The delegating token expired while this request ran; nothing usable can come of it.
            await new ProblemResult(ErrorCatalog.Unauthorized, "token verification failed", "the delegating token expired; renew it and delegate again").ExecuteAsync(context);
            return;
        }

        // The statuses were read before the token was issued. A suspension or revocation committed in
        // between takes its agent entry's revoked_at after that read, possibly before this iat, and the
        // entry would miss the token; read them again now that iat is fixed, for the delegate and every
        // agent of the chain: a transition committed after this read takes a later revoked_at.
        foreach (string agentId in chain.Select(h => h.Agent).Append(request.DelegateTo).Distinct(StringComparer.Ordinal))
        {
            string? status = await agents.StatusAsync(agentId, context.RequestAborted);
            if (status is "revoked" or "suspended")
            {
                await new ProblemResult(status == "revoked" ? ErrorCatalog.AgentRevoked : ErrorCatalog.AgentSuspended, $"an agent of the delegation was {status} while it was being made").ExecuteAsync(context);
                return;
            }
        }

        services.GetRequiredService<BrokerMetrics>().TokenIssued(claims.Scope);
        await audit.RecordAsync(
            Draft(time, AuditEventTypes.DelegationCreated, Tessera.Audit.AuditOutcomes.Success, $"delegation from {delegator.Subject} to {request.DelegateTo} scope={string.Join(',', claims.Scope)} depth={chain.Count} | jti={claims.JwtId}", claims, chain.Count, request.DelegateTo, chainHash),
            cancellationToken: context.RequestAborted);

        var view = chain.Select(h => new DelegationHopView(h.Agent, [.. h.Scope], h.DelegatedAt, h.Signature, h.KeyId)).ToArray();
        await Results.Json(new DelegateResponse(token, lifetime, "Bearer", view, chainHash), BrokerJson.Default.DelegateResponse).ExecuteAsync(context);
    }

    private static AuditEventDraft Draft(
        TimeProvider time, string type, string outcome, AuditText detail, AccessTokenClaims claims, int depth, string? agentId = null, string? chainHash = null) =>
        AuditDraft.Of(time, type, outcome, detail, agentId ?? claims.Subject, claims.TaskId, claims.OrchId) with
        {
            DelegDepth = depth,
            DelegChainHash = chainHash ?? claims.ChainHash ?? "",
        };
}
