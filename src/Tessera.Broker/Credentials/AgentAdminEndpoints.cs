using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Keys;
using Tessera.Scopes;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Credentials;

/// <summary>
/// Agents with standing credentials (admin scope <c>admin:agents:*</c>): create (key id + secret,
/// or registered public keys for <c>private_key_jwt</c>), list, show, update, grant per platform,
/// rotate the secret with a grace window, suspend, unsuspend and revoke. <c>{id}</c> is the key id
/// or the percent-encoded agent id.
/// </summary>
internal static partial class AgentAdminEndpoints
{
    private const int MaxKeys = 10;

    public static void Map(IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/v1/admin/agents").RequireAuthorization(BrokerPolicies.Scope("admin:agents:*"));
        agents.MapPost("", CreateAsync);
        agents.MapGet("", AgentInventoryList.ListAsync);
        agents.MapGet("/{id}", GetAsync);
        agents.MapPut("/{id}", UpdateAsync);
        agents.MapPost("/{id}/grants", GrantAsync);
        agents.MapDelete("/{id}/grants/{platform}", RemoveGrantAsync);
        agents.MapPost("/{id}/rotate-secret", RotateSecretAsync);
        agents.MapPost("/{id}/suspend", SuspendAsync);
        agents.MapPost("/{id}/unsuspend", UnsuspendAsync);
        agents.MapPost("/{id}/revoke", RevokeAsync);
    }

    private static async Task CreateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.CreateAgentRequest) is not { } request)
        {
            return;
        }
        Failure? failure = null;
        if (string.IsNullOrEmpty(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "name is required");
        }
        else if (request.Name.Length > 64 || !NamePattern().IsMatch(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid agent name: must be lowercase letters, digits, and hyphens", "at most 64 characters, starting with a letter, no double or trailing hyphen");
        }

        var details = CheckDetails(request.Owner ?? "", request.Metadata, request.TokenTtl, request.Jwks);
        failure ??= details.Failure;
        if (failure is not null)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        bool keyOnly = details.Jwks!.Length > 0;
        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = CredentialExchange.AgentKind,
            EntityId = AgentId.Create(TrustDomain.Parse(s.Options.TrustDomain), "cred", request.Name!).Value,
            Name = request.Name!,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = [],
            TokenTtl = request.TokenTtl ?? 0,
            Status = "active",
            CreatedAtMs = now,
            UpdatedAtMs = now,
            Owner = details.Owner!,
            MetadataJson = details.MetadataJson!,
            Jwks = details.Jwks,
            SecretEnabled = !keyOnly,
        };
        if (!await s.Clients.CreateAsync(record, context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.Conflict, $"an agent named '{request.Name}' already exists", "pick another name, or manage the existing agent").ExecuteAsync(context);
            return;
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentCreated, "success", $"agent created | key_id={record.ClientId} | name={record.Name} | auth={Method(record)}", record.EntityId),
            cancellationToken: context.RequestAborted);
        var view = await ViewAsync(context, record);
        await Results.Json(
            new AgentCreatedResponse(view.AgentId, view.KeyId, keyOnly ? null : secret, view.Name, view.Owner, view.Metadata, view.Status, view.TokenTtl, view.TokenEndpointAuthMethod, view.KeyIds, view.CreatedAt),
            BrokerJson.Default.AgentCreatedResponse,
            statusCode: StatusCodes.Status201Created).ExecuteAsync(context);
    }

    private static async Task GetAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);
        if (await RegisteredAgentAdmin.FindAsync(context) is { } registered)
        {
            await RegisteredAgentAdmin.WriteViewAsync(context, registered);
            return;
        }

        if (await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        await WriteViewAsync(context, agent);
    }

    private static async Task UpdateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.UpdateAgentRequest) is not { } request)
        {
            return;
        }
        if (request.Owner is null && request.Metadata is null && request.TokenTtl is null && request.Jwks is null)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "at least one of owner, metadata, token_ttl or jwks must be provided").ExecuteAsync(context);
            return;
        }

        var details = CheckDetails(request.Owner ?? "", request.Metadata, request.TokenTtl, request.Jwks);
        if (details.Failure is { } failure)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        if (await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        if (agent.Status == "revoked")
        {
            await new ProblemResult(ErrorCatalog.Conflict, "agent is revoked", "create a new agent").ExecuteAsync(context);
            return;
        }

        // A key-only agent whose keys are all removed gets no secret back: it simply cannot authenticate until keys are added.
        var update = new ClientDetailsUpdate(
            request.Owner is null ? null : details.Owner,
            request.Metadata is null ? null : details.MetadataJson,
            request.Jwks is null ? null : details.Jwks,
            request.TokenTtl);
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await s.Clients.UpdateDetailsAsync(agent.EntityId, update, now, context.RequestAborted);
        var updated = (await s.Clients.FindByEntityIdAsync(agent.EntityId, context.RequestAborted))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentUpdated, "success", $"agent updated | key_id={agent.ClientId} | fields={Fields(request)}", agent.EntityId),
            cancellationToken: context.RequestAborted);
        await WriteViewAsync(context, updated);
    }

    private static async Task GrantAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.GrantRequest) is not { } request)
        {
            return;
        }
        if (string.IsNullOrEmpty(request.PlatformId))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "platform_id is required").ExecuteAsync(context);
            return;
        }

        if (request.Scopes is null || request.Scopes.Length == 0)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "scopes must not be empty", "to take a grant away, DELETE /v1/admin/agents/{id}/grants/{platform_id}").ExecuteAsync(context);
            return;
        }

        if (!ScopeSet.TryParse(request.Scopes, out var scopes, out string? scopeError))
        {
            await new ProblemResult(ErrorCatalog.InvalidScopeFormat, scopeError).ExecuteAsync(context);
            return;
        }

        if (await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        if (agent.Status == "revoked")
        {
            await new ProblemResult(ErrorCatalog.Conflict, "agent is revoked", "create a new agent").ExecuteAsync(context);
            return;
        }

        var platforms = context.RequestServices.GetRequiredService<IPlatformStore>();
        var platform = request.PlatformId.Length <= 64 ? await platforms.FindAsync(request.PlatformId, context.RequestAborted) : null;
        if (platform is null)
        {
            await new ProblemResult(ErrorCatalog.NotFound, "platform not found", "register the platform first (POST /v1/admin/platforms)").ExecuteAsync(context);
            return;
        }

        // A grant never exceeds what the platform defines (when it defines anything).
        if (platform.Scopes.Count > 0 && ScopeSet.TryParse(platform.Scopes, out var defined, out _))
        {
            foreach (var scope in scopes.Items)
            {
                if (!defined.Covers(scope))
                {
                    await new ProblemResult(ErrorCatalog.ScopeViolation, $"scope '{scope.Value}' is not defined by platform '{platform.PlatformId}'", $"the platform defines: {string.Join(' ', platform.Scopes)}").ExecuteAsync(context);
                    return;
                }
            }
        }

        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await platforms.SetGrantAsync(new GrantRecord(agent.EntityId, platform.PlatformId, scopes.ToArray(), now), context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.NotFound, "platform not found").ExecuteAsync(context);
            return;
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.GrantSet, "success", $"grant set | key_id={agent.ClientId} | platform_id={platform.PlatformId} | scopes={scopes}", agent.EntityId, resource: platform.PlatformId),
            cancellationToken: context.RequestAborted);
        await WriteViewAsync(context, agent);
    }

    private static async Task RemoveGrantAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);
        if (await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        string platform = context.Request.RouteValues["platform"] as string ?? "";
        if (platform.Length > 64 || !await context.RequestServices.GetRequiredService<IPlatformStore>().RemoveGrantAsync(agent.EntityId, platform, context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.NotFound, "the agent holds no grant on that platform").ExecuteAsync(context);
            return;
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.GrantRemoved, "success", $"grant removed | key_id={agent.ClientId} | platform_id={platform}", agent.EntityId, resource: platform),
            cancellationToken: context.RequestAborted);
        await WriteViewAsync(context, agent);
    }

    private static async Task RotateSecretAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await AdminRequest.ReadGraceAsync(context, s) is not { } grace || await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        if (agent.Status == "revoked")
        {
            await new ProblemResult(ErrorCatalog.Conflict, "agent is revoked", "create a new agent").ExecuteAsync(context);
            return;
        }

        if (!agent.SecretEnabled)
        {
            await new ProblemResult(ErrorCatalog.Conflict, "agent authenticates with its registered keys only (private_key_jwt)", "register a new key with PUT /v1/admin/agents/{id} and a new jwks").ExecuteAsync(context);
            return;
        }

        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        await s.Clients.RotateSecretAsync(agent.EntityId, s.Secrets.Hash(secret), until, now, context.RequestAborted);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentUpdated, "success", $"agent secret rotated | key_id={agent.ClientId} | grace_seconds={grace}", agent.EntityId),
            cancellationToken: context.RequestAborted);
        await Results.Json(
            new AgentSecretResponse(agent.EntityId, agent.ClientId, secret, until is null ? null : AppAdminEndpoints.Rfc3339(until.Value)),
            BrokerJson.Default.AgentSecretResponse).ExecuteAsync(context);
    }

    private static Task SuspendAsync(HttpContext context) =>
        TransitionAsync(context, ["active"], "suspended", AuditEventTypes.AgentSuspended, "suspended by an operator");

    private static Task UnsuspendAsync(HttpContext context) =>
        TransitionAsync(context, ["suspended"], "active", AuditEventTypes.AgentUnsuspended, "unsuspended by an operator");

    private static Task RevokeAsync(HttpContext context) =>
        TransitionAsync(context, ["active", "suspended"], "revoked", AuditEventTypes.AgentRevoked, "revoked by an operator");

    /// <summary>
    /// One status change: idempotent when the agent is already there, a conflict when it cannot
    /// get there (a revoked agent stays revoked). Revocation and suspension also revoke every
    /// outstanding token of the agent, and the tokens delegated from them, through the revocation
    /// list and its feed.
    /// </summary>
    private static async Task TransitionAsync(HttpContext context, string[] from, string to, string auditType, string defaultReason)
    {
        var s = AdminRequest.For(context);

        string reason = defaultReason;
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            if (await s.ReadBodyAsync(context, BrokerJson.Default.StatusChangeRequest) is not { } body)
            {
                return;
            }

            if (body.Reason is { } given)
            {
                if (given.Length > 256 || given.Any(PrintableName.IsHidden))
                {
                    await new ProblemResult(ErrorCatalog.InvalidRequest, "reason must be at most 256 printable characters").ExecuteAsync(context);
                    return;
                }

                reason = given;
            }
        }

        if (await RegisteredAgentAdmin.FindAsync(context) is { } registered)
        {
            await RegisteredAgentAdmin.TransitionAsync(context, registered, from, to, auditType, reason);
            return;
        }

        if (await FindAsync(context, s) is not { } agent)
        {
            return;
        }

        var now = s.Time.GetUtcNow();
        if (agent.Status != to)
        {
            if (!await s.Clients.TransitionAsync(agent.EntityId, from, to, reason, now.ToUnixTimeMilliseconds(), context.RequestAborted))
            {
                await new ProblemResult(ErrorCatalog.Conflict, $"agent is {agent.Status} and cannot become {to}", agent.Status == "revoked" ? "revocation is permanent; create a new agent" : null).ExecuteAsync(context);
                return;
            }

            if (to == "revoked")
            {
                long expires = now.AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
                await context.RequestServices.GetRequiredService<RevocationList>().RevokeAsync(RevocationLevel.Agent, agent.EntityId, reason, expires, context.RequestAborted);
            }
            else if (to == "suspended")
            {
                await AgentSuspension.RevokeOutstandingTokensAsync(context.RequestServices, agent, reason, context.RequestAborted);
            }

            await s.Audit.RecordAsync(
                AuditDraft.Of(s.Time, auditType, "success", $"agent {to} | key_id={agent.ClientId} | reason={reason.Replace('|', '/')}", agent.EntityId),
                cancellationToken: context.RequestAborted);
        }

        await WriteViewAsync(context, (await s.Clients.FindByEntityIdAsync(agent.EntityId, context.RequestAborted))!);
    }

    private static async Task<ClientRecord?> FindAsync(HttpContext context, AdminRequest s)
    {
        string id = context.Request.RouteValues["id"] as string ?? "";
        ClientRecord? agent = null;
        if (id.Length <= 2048)
        {
            agent = id.StartsWith("tsr_kid_", StringComparison.Ordinal)
                ? await s.Clients.FindByClientIdAsync(id, context.RequestAborted)
                : await s.Clients.FindByEntityIdAsync(Uri.UnescapeDataString(id), context.RequestAborted);
        }

        if (agent is null || agent.Kind != CredentialExchange.AgentKind)
        {
            await new ProblemResult(ErrorCatalog.NotFound, "agent not found", "use the agent's key_id, or its agent_id percent-encoded").ExecuteAsync(context);
            return null;
        }

        return agent;
    }

    private static async Task WriteViewAsync(HttpContext context, ClientRecord agent) =>
        await Results.Json(await ViewAsync(context, agent), BrokerJson.Default.AgentView).ExecuteAsync(context);

    private static async Task<AgentView> ViewAsync(HttpContext context, ClientRecord a)
    {
        var grants = await context.RequestServices.GetRequiredService<IPlatformStore>().ListGrantsAsync(a.EntityId, context.RequestAborted);
        return new AgentView(
            AgentInventoryKinds.Credential, a.EntityId, a.ClientId, a.Name, a.Owner, ReadMetadata(a.MetadataJson), a.Status, a.StatusReason, a.TokenTtl, Method(a), KeyIds(a.Jwks),
            [.. grants.Select(g => new GrantView(g.PlatformId, [.. g.Scopes], AppAdminEndpoints.Rfc3339(g.UpdatedAtMs)))],
            a.ConsecutiveDenials, AppAdminEndpoints.Rfc3339(a.CreatedAtMs), AppAdminEndpoints.Rfc3339(a.UpdatedAtMs),
            a.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);
    }

    internal static string Method(ClientRecord a) =>
        a.SecretEnabled ? (a.Jwks.Length > 0 ? "client_secret+private_key_jwt" : "client_secret") : "private_key_jwt";

    internal static Dictionary<string, string> ReadMetadata(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, BrokerJson.Default.DictionaryStringString) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    internal static string[] KeyIds(string jwks)
    {
        if (jwks.Length == 0)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(jwks);
        return [.. doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }

    private static string Fields(UpdateAgentRequest r) => string.Join(',', new[]
    {
        r.Owner is null ? null : "owner", r.Metadata is null ? null : "metadata", r.TokenTtl is null ? null : "token_ttl", r.Jwks is null ? null : "jwks",
    }.Where(f => f is not null));

    private static Details CheckDetails(string owner, Dictionary<string, string?>? metadata, int? tokenTtl, JsonElement? jwks)
    {
        if (!PrintableName.IsValid(owner, 256))
        {
            return Details.Fail(new Failure(ErrorCatalog.InvalidRequest, $"owner must be at most 256 printable characters ({PrintableName.Rule})"));
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            if (metadata.Count > 32)
            {
                return Details.Fail(new Failure(ErrorCatalog.InvalidRequest, "metadata: at most 32 entries"));
            }

            foreach (var (key, value) in metadata)
            {
                if (key.Length is 0 or > 64 || value is null || value.Length > 1024)
                {
                    return Details.Fail(new Failure(ErrorCatalog.InvalidRequest, "metadata: keys of 1 to 64 characters, string values of at most 1024"));
                }

                meta[key] = value;
            }
        }

        if (tokenTtl is { } ttl && ttl != 0 && ttl is < 60 or > 86400)
        {
            return Details.Fail(new Failure(ErrorCatalog.InvalidTtl, $"invalid token TTL: must be between 60 and 86400 seconds (0 = the broker's exchange_ttl), got {ttl}"));
        }

        string jwksText = "";
        if (jwks is { } set && set.ValueKind != JsonValueKind.Null)
        {
            if (CheckJwks(set, out jwksText) is { } problem)
            {
                return Details.Fail(new Failure(ErrorCatalog.InvalidRequest, $"jwks: {problem}", "send {\"keys\": [public JWKs with kid and alg: EdDSA (OKP Ed25519), ES256 (EC P-256) or RS256 (RSA >= 2048 bits)]}"));
            }
        }

        return new Details(owner, JsonSerializer.Serialize(meta, BrokerJson.Default.DictionaryStringString), jwksText, null);
    }

    /// <summary>Keeps only the public members of each key, after proving each one loads.</summary>
    private static string? CheckJwks(JsonElement set, out string normalized)
    {
        normalized = "";
        if (set.ValueKind != JsonValueKind.Object || !set.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            return "must be an object with a keys array";
        }

        int count = keys.GetArrayLength();
        if (count > MaxKeys)
        {
            return $"at most {MaxKeys} keys";
        }

        var kids = new HashSet<string>(StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            int i = 0;
            foreach (var jwk in keys.EnumerateArray())
            {
                if (jwk.ValueKind == JsonValueKind.Object && (jwk.TryGetProperty("d", out _) || jwk.TryGetProperty("p", out _)))
                {
                    return $"keys[{i}] contains private key material; send the public key only";
                }

                if (!VerificationKey.TryFromJwk(jwk, out var key, out string? error))
                {
                    return $"keys[{i}]: {error}";
                }

                using (key)
                {
                    if (!kids.Add(key!.KeyId))
                    {
                        return $"keys[{i}]: duplicate kid";
                    }

                    key.WriteJwk(writer);
                }

                i++;
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        normalized = count == 0 ? "" : System.Text.Encoding.UTF8.GetString(stream.ToArray());
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    private sealed record Details(string? Owner, string? MetadataJson, string? Jwks, Failure? Failure)
    {
        public static Details Fail(Failure failure) => new(null, null, null, failure);
    }
}
