using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Storage.Agents;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// Agents with standing credentials (admin scope <c>admin:agents:*</c>): create (key id + secret,
/// or registered public keys for <c>private_key_jwt</c>), list, show, update, grant per platform,
/// rotate the secret with a grace window, suspend, unsuspend and revoke. <c>{id}</c> is the key id
/// or the percent-encoded agent id. The handlers only bind and answer: the checks are
/// <see cref="AgentValidation"/>'s, the work <see cref="AgentLifecycle"/>'s (and
/// <see cref="RegisteredAgentAdmin"/>'s for agents registered with a launch token).
/// </summary>
internal static class AgentAdminEndpoints
{
    private const string Tag = "Agents";

    public static void Map(IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/v1/admin/agents").RequireAuthorization(BrokerPolicies.Scope("admin:agents:*")).WithTags(Tag);
        agents.MapPost("", CreateAsync)
            .WithName("createAgent")
            .WithSummary("Create an agent with standing credentials")
            .WithDescription("Creates a credential agent: its agent_id (the sub of its tokens), its key_id (the OAuth client_id) and a secret shown only in this answer; with public keys in jwks, no secret at all (private_key_jwt only). The agent holds no grant yet. Audited: agent_created.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidTtl, ErrorCatalog.Conflict);
        agents.MapGet("", AgentInventoryList.ListAsync)
            .WithName("listAgents")
            .WithSummary("The agent inventory (both kinds)")
            .WithDescription("Every agent, whichever way it authenticates (registered by a launch token, or with standing credentials), ordered by creation then agent id, revoked ones included, filtered, searched and paged by an opaque cursor. Never shows a secret. Not audited.")
            .ProducesErrors(ErrorCatalog.InvalidRequest)
            .DocumentsQueryAsSingleStrings();
        agents.MapGet("/{id}", GetAsync)
            .WithName("getAgent")
            .WithSummary("Show one agent of either kind")
            .WithDescription("{id} is a credential agent's key_id, or the percent-encoded agent_id of either kind. A credential agent is answered as an AgentView, a registered agent as a RegisteredAgentView. Not audited.")
            .ProducesErrors(ErrorCatalog.NotFound);
        agents.MapPut("/{id}", UpdateAsync)
            .WithName("updateAgent")
            .WithSummary("Change a credential agent's owner, metadata, token lifetime or keys")
            .WithDescription("Partial update with the limits of creation: metadata is replaced as a whole, jwks replaces the registered keys. The name, ids and secret do not change; a revoked agent cannot be changed. Audited: agent_updated.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidTtl, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        agents.MapPost("/{id}/grants", GrantAsync)
            .WithName("setGrant")
            .WithSummary("Grant the agent scopes on a platform")
            .WithDescription("Sets the agent's grant on one platform, replacing its earlier grant there; grants on other platforms are untouched. When the platform defines scopes, each granted scope must be one of them. Audited: grant_set.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.NotFound, ErrorCatalog.Conflict, ErrorCatalog.ScopeViolation);
        agents.MapDelete("/{id}/grants/{platform}", RemoveGrantAsync)
            .WithName("removeGrant")
            .WithSummary("Take away the agent's grant on a platform")
            .WithDescription("The agent gets no new token for that platform; tokens already issued keep working until they expire. Audited: grant_removed.")
            .ProducesErrors(ErrorCatalog.NotFound);
        agents.MapPost("/{id}/rotate-secret", RotateSecretAsync)
            .WithName("rotateAgentSecret")
            .WithSummary("Issue a new secret for the agent")
            .WithDescription("Replaces the agent's secret; the key_id stays. The previous secret keeps working for grace_seconds (default TESSERA_SECRET_ROTATION_GRACE; 0 ends it at once). A revoked or key-only agent cannot rotate. The body is optional. Audited: agent_updated.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        agents.MapPost("/{id}/suspend", SuspendAsync)
            .WithName("suspendAgent")
            .WithSummary("Suspend the agent")
            .WithDescription("active to suspended: no new token, and the agent's outstanding tokens (and those delegated from them) are revoked through the revocation feed. Idempotent; a revoked agent cannot be suspended. Optional body {\"reason\": ...}. Audited: agent_suspended, when the status changes.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        agents.MapPost("/{id}/unsuspend", UnsuspendAsync)
            .WithName("unsuspendAgent")
            .WithSummary("Lift the agent's suspension")
            .WithDescription("suspended to active. Idempotent; a revoked agent stays revoked. Optional body {\"reason\": ...}. Audited: agent_unsuspended, when the status changes.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        agents.MapPost("/{id}/revoke", RevokeAsync)
            .WithName("revokeAgent")
            .WithSummary("Revoke the agent for good")
            .WithDescription("active or suspended to revoked, permanently. A revocation entry for the agent_id is written before the answer, so its outstanding tokens are refused at once by the broker and, through the revocation feed, by every verifier. Idempotent. Optional body {\"reason\": ...}. Audited: agent_revoked, when the status changes.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
    }

    private static async Task<Results<Created<AgentCreatedResponse>, ProblemResult>> CreateAsync(
        RequestBody<CreateAgentRequest> body, AdminRequest s, IPlatformStore platforms, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (AgentValidation.Create(request, out var details) is { } failure)
        {
            return failure.ToResult();
        }

        var (agent, secret, conflict) = await AgentLifecycle.CreateAsync(s, request.Name!, request.TokenTtl, details, cancellationToken);
        if (conflict is not null)
        {
            return conflict.ToResult();
        }

        var view = await AgentViews.ViewAsync(platforms, agent!, cancellationToken);
        return TypedResults.Created((string?)null, AgentViews.Created(view, agent!.SecretEnabled ? secret : null));
    }

    private static async Task<Results<Ok<AgentView>, Ok<RegisteredAgentView>, ProblemResult>> GetAsync(
        string id, AdminRequest s, IAgentStore registered, IPlatformStore platforms, IAgentInventory inventory, CancellationToken cancellationToken)
    {
        if (await RegisteredAgentAdmin.FindAsync(registered, id, cancellationToken) is { } agent)
        {
            return TypedResults.Ok(AgentViews.Registered(agent, await AgentViews.LastSeenAsync(inventory, agent.AgentId, cancellationToken)));
        }

        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } credential)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        return TypedResults.Ok(await AgentViews.ViewAsync(platforms, credential, cancellationToken));
    }

    private static async Task<Results<Ok<AgentView>, ProblemResult>> UpdateAsync(
        string id, RequestBody<UpdateAgentRequest> body, AdminRequest s, IPlatformStore platforms, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (AgentValidation.Update(request, out var details) is { } failure)
        {
            return failure.ToResult();
        }

        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } agent)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        var (updated, refused) = await AgentLifecycle.UpdateAsync(s, agent, request, details, cancellationToken);
        return refused is not null ? refused.ToResult() : TypedResults.Ok(await AgentViews.ViewAsync(platforms, updated!, cancellationToken));
    }

    private static async Task<Results<Ok<AgentView>, ProblemResult>> GrantAsync(
        string id, RequestBody<GrantRequest> body, AdminRequest s, IPlatformStore platforms, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (AgentValidation.Grant(request, out var scopes) is { } failure)
        {
            return failure.ToResult();
        }

        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } agent)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        if (await AgentLifecycle.SetGrantAsync(s, platforms, agent, request.PlatformId!, scopes, cancellationToken) is { } refused)
        {
            return refused.ToResult();
        }

        return TypedResults.Ok(await AgentViews.ViewAsync(platforms, agent, cancellationToken));
    }

    private static async Task<Results<Ok<AgentView>, ProblemResult>> RemoveGrantAsync(
        string id, string platform, AdminRequest s, IPlatformStore platforms, CancellationToken cancellationToken)
    {
        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } agent)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        if (await AgentLifecycle.RemoveGrantAsync(s, platforms, agent, platform, cancellationToken) is { } refused)
        {
            return refused.ToResult();
        }

        return TypedResults.Ok(await AgentViews.ViewAsync(platforms, agent, cancellationToken));
    }

    private static async Task<Results<Ok<AgentSecretResponse>, ProblemResult>> RotateSecretAsync(
        string id, OptionalRequestBody<RotateSecretRequest> body, AdminRequest s, CancellationToken cancellationToken)
    {
        if (AgentValidation.Grace(body.Value, s.Options.SecretRotationGrace, out int grace) is { } failure)
        {
            return failure.ToResult();
        }

        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } agent)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        var (secret, refused) = await AgentLifecycle.RotateSecretAsync(s, agent, grace, cancellationToken);
        return refused is not null ? refused.ToResult() : TypedResults.Ok(secret!);
    }

    private static Task<Results<Ok<AgentView>, Ok<RegisteredAgentView>, ProblemResult>> SuspendAsync(
        string id, OptionalRequestBody<StatusChangeRequest> body, AdminRequest s, IAgentStore registered, IPlatformStore platforms, RevocationList revocations, TokenService tokens, CancellationToken cancellationToken) =>
        TransitionAsync(id, body.Value, AgentTransition.Suspend, s, registered, platforms, revocations, tokens, cancellationToken);

    private static Task<Results<Ok<AgentView>, Ok<RegisteredAgentView>, ProblemResult>> UnsuspendAsync(
        string id, OptionalRequestBody<StatusChangeRequest> body, AdminRequest s, IAgentStore registered, IPlatformStore platforms, RevocationList revocations, TokenService tokens, CancellationToken cancellationToken) =>
        TransitionAsync(id, body.Value, AgentTransition.Unsuspend, s, registered, platforms, revocations, tokens, cancellationToken);

    private static Task<Results<Ok<AgentView>, Ok<RegisteredAgentView>, ProblemResult>> RevokeAsync(
        string id, OptionalRequestBody<StatusChangeRequest> body, AdminRequest s, IAgentStore registered, IPlatformStore platforms, RevocationList revocations, TokenService tokens, CancellationToken cancellationToken) =>
        TransitionAsync(id, body.Value, AgentTransition.Revoke, s, registered, platforms, revocations, tokens, cancellationToken);

    /// <summary>The reason, then the agent of either kind (a registered one first), then the change.</summary>
    private static async Task<Results<Ok<AgentView>, Ok<RegisteredAgentView>, ProblemResult>> TransitionAsync(
        string id, StatusChangeRequest? request, AgentTransition transition, AdminRequest s, IAgentStore registered, IPlatformStore platforms,
        RevocationList revocations, TokenService tokens, CancellationToken cancellationToken)
    {
        if (AgentValidation.Reason(request, transition.DefaultReason, out string reason) is { } failure)
        {
            return failure.ToResult();
        }

        if (await RegisteredAgentAdmin.FindAsync(registered, id, cancellationToken) is { } launched)
        {
            var (changed, conflict) = await RegisteredAgentAdmin.TransitionAsync(s, registered, revocations, launched, transition, reason, cancellationToken);
            return conflict is not null ? conflict.ToResult() : TypedResults.Ok(AgentViews.Registered(changed!));
        }

        if (await AgentLifecycle.FindAsync(s.Clients, id, cancellationToken) is not { } agent)
        {
            return AgentLifecycle.NotFound.ToResult();
        }

        var (updated, refused) = await AgentLifecycle.TransitionAsync(s, revocations, tokens, agent, transition, reason, cancellationToken);
        return refused is not null ? refused.ToResult() : TypedResults.Ok(await AgentViews.ViewAsync(platforms, updated!, cancellationToken));
    }
}
