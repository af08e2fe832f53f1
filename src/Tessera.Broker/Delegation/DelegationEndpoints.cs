using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Delegation;

/// <summary>
/// <c>POST /v1/delegate</c>: an agent hands a narrower, shorter-lived token to another registered
/// agent. The chain travels in the token twice: as RFC 8693 nested <c>act</c> claims and as the
/// broker-signed <c>delegation_chain</c> records with their <c>chain_hash</c>. The request is checked
/// by <see cref="DelegationValidation"/>, the work done by <see cref="AgentDelegation"/>.
/// </summary>
internal static class DelegationEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/v1/delegate", DelegateAsync).RequireAuthorization(BrokerPolicies.Bearer)
            .WithName("delegate")
            .WithSummary("Hand a narrower, shorter-lived token to another registered agent")
            .WithDescription("The Bearer token must belong to a registered agent that is not suspended. The new token is for delegate_to, carries the requested scope (each covered by the delegating token's scope), the delegating token's audience, task_id and orch_id, nested act claims, the broker-signed delegation_chain with the new hop last and its chain_hash; it never outlives the delegating token nor the broker's max_ttl. Chains are at most max_delegation_depth deep; the delegate must be registered and neither revoked nor suspended, and a revoked chain root starts no new chains.")
            .WithTags("Delegation")
            .ProducesErrors(
                ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl, ErrorCatalog.Unauthorized,
                ErrorCatalog.InsufficientScope, ErrorCatalog.ScopeViolation, ErrorCatalog.DelegationDepthExceeded,
                ErrorCatalog.AgentRevoked, ErrorCatalog.AgentSuspended, ErrorCatalog.NotFound);

    private static async Task<Results<Ok<DelegateResponse>, ProblemResult>> DelegateAsync(
        RequestBody<DelegateRequest> body, HttpContext context, [AsParameters] DelegationServices services, CancellationToken cancellationToken)
    {
        var delegator = context.BearerClaims();
        if (await AgentDelegation.CheckDelegatorAsync(delegator, services.Agents, cancellationToken) is { } refused)
        {
            return refused.ToResult();
        }

        var request = body.Value;
        if (DelegationValidation.CheckRequest(request, out var requested, out int ttl) is { } invalid)
        {
            return invalid.ToResult();
        }

        var outcome = await AgentDelegation.DelegateAsync(delegator, request.DelegateTo!, requested, ttl, services, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure.ToResult();
        }

        return TypedResults.Ok(outcome.Response!);
    }
}
