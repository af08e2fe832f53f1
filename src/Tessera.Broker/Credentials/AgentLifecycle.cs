using Tessera.Audit;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Scopes;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Credentials;

/// <summary>One status change of an agent: from which statuses, to which, and how it is audited.</summary>
/// <param name="From">The statuses the change starts from.</param>
/// <param name="To">The status it ends in.</param>
/// <param name="AuditType">The audit event it records.</param>
/// <param name="DefaultReason">The reason when the request gives none.</param>
internal sealed record AgentTransition(string[] From, string To, string AuditType, string DefaultReason)
{
    public static readonly AgentTransition Suspend = new([AgentStatuses.Active], AgentStatuses.Suspended, AuditEventTypes.AgentSuspended, "suspended by an operator");

    public static readonly AgentTransition Unsuspend = new([AgentStatuses.Suspended], AgentStatuses.Active, AuditEventTypes.AgentUnsuspended, "unsuspended by an operator");

    public static readonly AgentTransition Revoke = new([AgentStatuses.Active, AgentStatuses.Suspended], AgentStatuses.Revoked, AuditEventTypes.AgentRevoked, "revoked by an operator");
}

/// <summary>
/// The work of the admin agent endpoints on credential agents, once the request is valid: store
/// writes, the revocation feed and the audit record. Each returns the refusal, if any, as a
/// <see cref="Failure"/>.
/// </summary>
internal static class AgentLifecycle
{
    /// <summary>No credential agent has the id.</summary>
    public static readonly Failure NotFound = new(ErrorCatalog.NotFound, "agent not found", "use the agent's key_id, or its agent_id percent-encoded");

    /// <summary>The agent is revoked and cannot change.</summary>
    public static readonly Failure Revoked = new(ErrorCatalog.Conflict, "agent is revoked", "create a new agent");

    /// <summary>The credential agent <paramref name="id"/> names: a key id, or the percent-encoded agent id.</summary>
    public static async Task<ClientRecord?> FindAsync(IClientStore clients, string id, CancellationToken cancellationToken)
    {
        ClientRecord? agent = null;
        if (id.Length <= 2048)
        {
            agent = id.StartsWith("tsr_kid_", StringComparison.Ordinal)
                ? await clients.FindByClientIdAsync(id, cancellationToken)
                : await clients.FindByEntityIdAsync(Uri.UnescapeDataString(id), cancellationToken);
        }

        return agent is null || agent.Kind != CredentialExchange.AgentKind ? null : agent;
    }

    /// <summary>Creates the agent with a new key id and secret; a conflict when the name is taken.</summary>
    public static async Task<(ClientRecord? Agent, string Secret, Failure? Failure)> CreateAsync(
        AdminRequest s, string name, int? tokenTtl, AgentDetails details, CancellationToken cancellationToken)
    {
        bool keyOnly = details.Jwks.Length > 0;
        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = CredentialExchange.AgentKind,
            EntityId = AgentId.Create(TrustDomain.Parse(s.Options.TrustDomain), "cred", name).Value,
            Name = name,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = [],
            TokenTtl = tokenTtl ?? 0,
            Status = AgentStatuses.Active,
            CreatedAtMs = now,
            UpdatedAtMs = now,
            Owner = details.Owner,
            MetadataJson = details.MetadataJson,
            Jwks = details.Jwks,
            SecretEnabled = !keyOnly,
        };
        if (!await s.Clients.CreateAsync(record, cancellationToken))
        {
            return (null, "", new Failure(ErrorCatalog.Conflict, $"an agent named '{name}' already exists", "pick another name, or manage the existing agent"));
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentCreated, AuditOutcomes.Success, $"agent created | key_id={record.ClientId} | name={record.Name} | auth={AgentViews.Method(record)}", record.EntityId),
            cancellationToken: cancellationToken);
        return (record, secret, null);
    }

    /// <summary>Changes the fields the request gives; the agent as stored afterwards.</summary>
    public static async Task<(ClientRecord? Agent, Failure? Failure)> UpdateAsync(
        AdminRequest s, ClientRecord agent, UpdateAgentRequest request, AgentDetails details, CancellationToken cancellationToken)
    {
        if (agent.Status == AgentStatuses.Revoked)
        {
            return (null, Revoked);
        }

        // A key-only agent whose keys are all removed gets no secret back: it simply cannot authenticate until keys are added.
        var update = new ClientDetailsUpdate(
            request.Owner is null ? null : details.Owner,
            request.Metadata is null ? null : details.MetadataJson,
            request.Jwks is null ? null : details.Jwks,
            request.TokenTtl);
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await s.Clients.UpdateDetailsAsync(agent.EntityId, update, now, cancellationToken);
        var updated = (await s.Clients.FindByEntityIdAsync(agent.EntityId, cancellationToken))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentUpdated, AuditOutcomes.Success, $"agent updated | key_id={agent.ClientId} | fields={Fields(request)}", agent.EntityId),
            cancellationToken: cancellationToken);
        return (updated, null);
    }

    /// <summary>Sets the agent's grant on a platform, within the scopes the platform defines.</summary>
    public static async Task<Failure?> SetGrantAsync(
        AdminRequest s, IPlatformStore platforms, ClientRecord agent, string platformId, ScopeSet scopes, CancellationToken cancellationToken)
    {
        if (agent.Status == AgentStatuses.Revoked)
        {
            return Revoked;
        }

        var platform = platformId.Length <= 64 ? await platforms.FindAsync(platformId, cancellationToken) : null;
        if (platform is null)
        {
            return new Failure(ErrorCatalog.NotFound, "platform not found", "register the platform first (POST /v1/admin/platforms)");
        }

        // A grant never exceeds what the platform defines (when it defines anything).
        if (platform.Scopes.Count > 0 && ScopeSet.TryParse(platform.Scopes, out var defined, out _))
        {
            foreach (var scope in scopes.Items)
            {
                if (!defined.Covers(scope))
                {
                    return new Failure(ErrorCatalog.ScopeViolation, $"scope '{scope.Value}' is not defined by platform '{platform.PlatformId}'", $"the platform defines: {string.Join(' ', platform.Scopes)}");
                }
            }
        }

        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await platforms.SetGrantAsync(new GrantRecord(agent.EntityId, platform.PlatformId, scopes.ToArray(), now), cancellationToken))
        {
            return new Failure(ErrorCatalog.NotFound, "platform not found");
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.GrantSet, AuditOutcomes.Success, $"grant set | key_id={agent.ClientId} | platform_id={platform.PlatformId} | scopes={scopes}", agent.EntityId, resource: platform.PlatformId),
            cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>Takes the agent's grant on <paramref name="platform"/> away.</summary>
    public static async Task<Failure?> RemoveGrantAsync(
        AdminRequest s, IPlatformStore platforms, ClientRecord agent, string platform, CancellationToken cancellationToken)
    {
        if (platform.Length > 64 || !await platforms.RemoveGrantAsync(agent.EntityId, platform, cancellationToken))
        {
            return new Failure(ErrorCatalog.NotFound, "the agent holds no grant on that platform");
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.GrantRemoved, AuditOutcomes.Success, $"grant removed | key_id={agent.ClientId} | platform_id={platform}", agent.EntityId, resource: platform),
            cancellationToken: cancellationToken);
        return null;
    }

    /// <summary>A new secret; the previous one keeps working for <paramref name="grace"/> seconds.</summary>
    public static async Task<(AgentSecretResponse? Secret, Failure? Failure)> RotateSecretAsync(
        AdminRequest s, ClientRecord agent, int grace, CancellationToken cancellationToken)
    {
        if (agent.Status == AgentStatuses.Revoked)
        {
            return (null, Revoked);
        }

        if (!agent.SecretEnabled)
        {
            return (null, new Failure(ErrorCatalog.Conflict, "agent authenticates with its registered keys only (private_key_jwt)", "register a new key with PUT /v1/admin/agents/{id} and a new jwks"));
        }

        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        await s.Clients.RotateSecretAsync(agent.EntityId, s.Secrets.Hash(secret), until, now, cancellationToken);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentUpdated, AuditOutcomes.Success, $"agent secret rotated | key_id={agent.ClientId} | grace_seconds={grace}", agent.EntityId),
            cancellationToken: cancellationToken);
        return (new AgentSecretResponse(agent.EntityId, agent.ClientId, secret, until is null ? null : AppAdminEndpoints.Rfc3339(until.Value)), null);
    }

    /// <summary>
    /// One status change: idempotent when the agent is already there, a conflict when it cannot
    /// get there (a revoked agent stays revoked). Revocation and suspension also revoke every
    /// outstanding token of the agent, and the tokens delegated from them, through the revocation
    /// list and its feed. The agent as stored afterwards.
    /// </summary>
    public static async Task<(ClientRecord? Agent, Failure? Failure)> TransitionAsync(
        AdminRequest s, RevocationList revocations, TokenService tokens, ClientRecord agent, AgentTransition transition, string reason, CancellationToken cancellationToken)
    {
        var now = s.Time.GetUtcNow();
        string to = transition.To;
        if (agent.Status != to)
        {
            if (!await s.Clients.TransitionAsync(agent.EntityId, transition.From, to, reason, now.ToUnixTimeMilliseconds(), cancellationToken))
            {
                return (null, new Failure(ErrorCatalog.Conflict, $"agent is {agent.Status} and cannot become {to}", agent.Status == AgentStatuses.Revoked ? "revocation is permanent; create a new agent" : null));
            }

            if (to == AgentStatuses.Revoked)
            {
                long expires = now.AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
                await revocations.RevokeAsync(RevocationLevel.Agent, agent.EntityId, reason, expires, cancellationToken);
            }
            else if (to == AgentStatuses.Suspended)
            {
                await AgentSuspension.RevokeOutstandingTokensAsync(revocations, tokens, s.Options, s.Time, agent, reason, cancellationToken);
            }

            await s.Audit.RecordAsync(
                AuditDraft.Of(s.Time, transition.AuditType, AuditOutcomes.Success, $"agent {to} | key_id={agent.ClientId} | reason={reason.Replace('|', '/')}", agent.EntityId),
                cancellationToken: cancellationToken);
        }

        return ((await s.Clients.FindByEntityIdAsync(agent.EntityId, cancellationToken))!, null);
    }

    private static string Fields(UpdateAgentRequest r) => string.Join(',', new[]
    {
        r.Owner is null ? null : "owner", r.Metadata is null ? null : "metadata", r.TokenTtl is null ? null : "token_ttl", r.Jwks is null ? null : "jwks",
    }.Where(f => f is not null));
}
