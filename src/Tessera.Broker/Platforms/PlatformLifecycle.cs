using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Keys;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Platforms;

/// <summary>
/// What happens to a platform once its request is checked: the store writes, its own client
/// credentials, the audit events and the notifications verifiers follow (route changes on the
/// revocation feed, a new signing key ring for the mudraid profile). Bound from DI as the handlers'
/// <c>[AsParameters]</c> argument.
/// </summary>
/// <param name="Platforms">The platform store.</param>
/// <param name="Admin">The admin services (client store, secrets, audit, clock).</param>
/// <param name="Feed">The revocation feed, which tells verifiers a platform's routes changed.</param>
/// <param name="ProfileKeys">The mudraid profile's signing keys.</param>
/// <param name="Rotation">Key rotation, which announces a new key ring.</param>
internal sealed record PlatformLifecycle(IPlatformStore Platforms, AdminRequest Admin, RevocationFeed Feed, ProfileKeys ProfileKeys, KeyRotation Rotation)
{
    /// <summary>The client entity of a platform's own credentials.</summary>
    public static string Entity(string platformId) => "platform:" + platformId;

    /// <summary>Registers a checked platform and its client credentials; a conflict when the id is taken.</summary>
    public async Task<(PlatformCreatedResponse? Created, Failure? Failure)> CreateAsync(CreatePlatformRequest request, PlatformFields fields, CancellationToken cancellationToken)
    {
        var s = Admin;
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var platform = new PlatformRecord
        {
            PlatformId = request.PlatformId!,
            Name = fields.Name,
            Hostnames = fields.Hostnames,
            Scopes = fields.Scopes,
            RoutesJson = RouteRules.Serialize(request.Routes ?? []),
            TokenProfile = fields.Profile,
            Version = 1,
            CreatedAtMs = now,
            UpdatedAtMs = now,
        };
        EnsureProfileKey(platform.TokenProfile);
        if (!await Platforms.CreateAsync(platform, cancellationToken))
        {
            return (null, new Failure(ErrorCatalog.Conflict, $"a platform with id '{platform.PlatformId}' already exists", "pick another id, or update the existing platform"));
        }

        // A verifier already waiting for this platform (not ready until it exists) loads it now.
        Feed.NotifyRoutesChanged(platform.PlatformId, platform.Version);

        // The platform's own credentials: for its enforcement reports and its scopes file.
        string secret = ClientSecrets.NewSecret();
        var client = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = PlatformAdminEndpoints.Kind,
            EntityId = Entity(platform.PlatformId),
            Name = platform.PlatformId,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = [],
            TokenTtl = 0,
            Status = Tessera.Identity.ClientStatuses.Active,
            CreatedAtMs = now,
            UpdatedAtMs = now,
        };
        if (!await s.Clients.CreateAsync(client, cancellationToken))
        {
            // A platform of this id existed before and was removed: its credential record is reused.
            var old = await s.Clients.FindByEntityIdAsync(client.EntityId, cancellationToken);
            await s.Clients.RotateSecretAsync(client.EntityId, client.SecretHash, null, now, cancellationToken);
            await s.Clients.SetStatusAsync(client.EntityId, Tessera.Identity.ClientStatuses.Active, now, cancellationToken);
            client = client with { ClientId = old?.ClientId ?? client.ClientId };
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformRegistered, Tessera.Audit.AuditOutcomes.Success, $"platform registered | platform_id={platform.PlatformId} | hostnames={string.Join(',', platform.Hostnames)} | scopes={string.Join(',', platform.Scopes)} | token_profile={platform.TokenProfile}", resource: platform.PlatformId),
            cancellationToken: cancellationToken);
        var view = PlatformAdminEndpoints.View(platform, client);
        return (new PlatformCreatedResponse(view.PlatformId, view.Name, view.Hostnames, view.Scopes, view.Routes, view.TokenProfile, view.Version, view.Status, view.ClientId, view.CreatedAt, view.UpdatedAt, secret), null);
    }

    /// <summary>Every platform with its credentials' client id, oldest first.</summary>
    public async Task<PlatformListResponse> ListAsync(CancellationToken cancellationToken)
    {
        var platforms = await Platforms.ListAsync(cancellationToken);
        var views = new List<PlatformView>(platforms.Count);
        foreach (var p in platforms)
        {
            views.Add(PlatformAdminEndpoints.View(p, await Admin.Clients.FindByEntityIdAsync(Entity(p.PlatformId), cancellationToken)));
        }

        return new PlatformListResponse([.. views], views.Count);
    }

    /// <summary>
    /// Writes an update whose merged <paramref name="fields"/> were checked; the version moves, verifiers
    /// hear of it. Not found when the platform vanished in between.
    /// </summary>
    public async Task<(PlatformView? View, Failure? Failure)> UpdateAsync(PlatformRecord platform, PlatformFields fields, RouteRuleDto?[] routes, CancellationToken cancellationToken)
    {
        var s = Admin;
        var updated = platform with
        {
            Name = fields.Name,
            Hostnames = fields.Hostnames,
            Scopes = fields.Scopes,
            RoutesJson = RouteRules.Serialize(routes),
            TokenProfile = fields.Profile,
            UpdatedAtMs = s.Time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        EnsureProfileKey(updated.TokenProfile);
        if (!await Platforms.UpdateAsync(updated, cancellationToken))
        {
            return (null, new Failure(ErrorCatalog.NotFound, "platform not found"));
        }

        var stored = (await Platforms.FindAsync(platform.PlatformId, cancellationToken))!;

        // Every update moves the version, which the scopes file carries: its verifier refetches it.
        Feed.NotifyRoutesChanged(stored.PlatformId, stored.Version);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformUpdated, Tessera.Audit.AuditOutcomes.Success, $"platform updated | platform_id={stored.PlatformId} | version={stored.Version} | hostnames={string.Join(',', stored.Hostnames)} | scopes={string.Join(',', stored.Scopes)} | token_profile={stored.TokenProfile}", resource: stored.PlatformId),
            cancellationToken: cancellationToken);
        var client = await s.Clients.FindByEntityIdAsync(Entity(stored.PlatformId), cancellationToken);
        return (PlatformAdminEndpoints.View(stored, client), null);
    }

    /// <summary>Removes the platform and its grants and disables its credentials.</summary>
    public async Task<PlatformRemovedResponse> DeleteAsync(PlatformRecord platform, CancellationToken cancellationToken)
    {
        var s = Admin;
        var now = s.Time.GetUtcNow();
        await Platforms.DeleteAsync(platform.PlatformId, cancellationToken);
        await s.Clients.SetStatusAsync(Entity(platform.PlatformId), Tessera.Identity.ClientStatuses.Inactive, now.ToUnixTimeMilliseconds(), cancellationToken);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformRemoved, Tessera.Audit.AuditOutcomes.Success, $"platform removed | platform_id={platform.PlatformId} | grants on it removed", resource: platform.PlatformId),
            cancellationToken: cancellationToken);
        return new PlatformRemovedResponse(platform.PlatformId, "removed", AppAdminEndpoints.Rfc3339(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>A new secret for the platform's credentials; the previous one stays valid for <paramref name="grace"/> seconds.</summary>
    public async Task<PlatformSecretResponse> RotateSecretAsync(PlatformRecord platform, int grace, CancellationToken cancellationToken)
    {
        var s = Admin;
        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        string entity = Entity(platform.PlatformId);
        await s.Clients.RotateSecretAsync(entity, s.Secrets.Hash(secret), until, now, cancellationToken);
        var client = (await s.Clients.FindByEntityIdAsync(entity, cancellationToken))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformUpdated, Tessera.Audit.AuditOutcomes.Success, $"platform secret rotated | platform_id={platform.PlatformId} | grace_seconds={grace}", resource: platform.PlatformId),
            cancellationToken: cancellationToken);
        return new PlatformSecretResponse(platform.PlatformId, client.ClientId, secret, until is null ? null : AppAdminEndpoints.Rfc3339(until.Value));
    }

    /// <summary>The mudraid profile's RS256 key is created (and so published) before the first such platform exists.</summary>
    private void EnsureProfileKey(string profile)
    {
        if (profile == "mudraid" && ProfileKeys.EnsureExists())
        {
            Rotation.AnnounceNewRing();
        }
    }
}
