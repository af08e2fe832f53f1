using System.Security.Cryptography;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Storage.Clients;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Apps;

/// <summary>
/// What happens to an app once its request is checked: the client store writes, the audit events
/// and, on deregistration, the revocation of its tokens. Bound from DI as the handlers'
/// <c>[AsParameters]</c> argument.
/// </summary>
/// <param name="Admin">The admin services (client store, secrets, audit, clock, options).</param>
/// <param name="Revocations">The revocation list, which ends a deregistered app's tokens at once.</param>
internal sealed record AppLifecycle(AdminRequest Admin, RevocationList Revocations)
{
    /// <summary>The app of this id; null for an unknown id or a client of another kind.</summary>
    public async Task<ClientRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var app = id.Length <= AppValidation.MaxIdLength ? await Admin.Clients.FindByEntityIdAsync(id, cancellationToken) : null;
        return app is null || app.Kind != AppAdminEndpoints.Kind ? null : app;
    }

    /// <summary>Registers a checked app; a conflict when its name is taken.</summary>
    public async Task<(AppCreatedResponse? Created, Failure? Failure)> CreateAsync(string name, AppFields fields, CancellationToken cancellationToken)
    {
        var s = Admin;
        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        int ttl = fields.TokenTtl;
        var record = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = AppAdminEndpoints.Kind,
            EntityId = $"app-{name}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}",
            Name = name,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = fields.Scopes!.ToArray(),
            TokenTtl = ttl,
            Status = Tessera.Identity.ClientStatuses.Active,
            CreatedAtMs = now,
            UpdatedAtMs = now,
        };
        if (!await s.Clients.CreateAsync(record, cancellationToken))
        {
            return (null, new Failure(ErrorCatalog.Conflict, $"an app named '{name}' already exists", "pick another name, or update the existing app"));
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppRegistered, Tessera.Audit.AuditOutcomes.Success, $"app registered | app_id={record.EntityId} | client_id={record.ClientId} | scopes={string.Join(',', record.Scopes)} | token_ttl={ttl}"),
            cancellationToken: cancellationToken);
        return (new AppCreatedResponse(record.EntityId, record.Name, record.ClientId, secret, [.. record.Scopes], ttl, record.Status), null);
    }

    /// <summary>Every app, oldest first, deregistered ones included.</summary>
    public async Task<AppListResponse> ListAsync(CancellationToken cancellationToken)
    {
        var apps = await Admin.Clients.ListAsync(AppAdminEndpoints.Kind, cancellationToken);
        var views = new AppView[apps.Count];
        for (int i = 0; i < views.Length; i++)
        {
            views[i] = AppAdminEndpoints.View(apps[i]);
        }

        return new AppListResponse(views, views.Length);
    }

    /// <summary>Writes a checked update (the ceiling, the token lifetime, or both).</summary>
    public async Task<AppView> UpdateAsync(ClientRecord app, AppFields fields, int? tokenTtl, CancellationToken cancellationToken)
    {
        var s = Admin;
        await s.Clients.UpdateAsync(app.EntityId, fields.Scopes?.ToArray(), tokenTtl, s.Time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        var updated = (await s.Clients.FindByEntityIdAsync(app.EntityId, cancellationToken))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppUpdated, Tessera.Audit.AuditOutcomes.Success, $"app updated | app_id={app.EntityId} | scopes={string.Join(',', updated.Scopes)} | token_ttl={updated.TokenTtl}"),
            cancellationToken: cancellationToken);
        return AppAdminEndpoints.View(updated);
    }

    /// <summary>Sets the app inactive and revokes its tokens (and its agents') at level <c>app</c>.</summary>
    public async Task<AppDeregisteredResponse> DeregisterAsync(ClientRecord app, CancellationToken cancellationToken)
    {
        var s = Admin;
        var now = s.Time.GetUtcNow();
        await s.Clients.SetStatusAsync(app.EntityId, Tessera.Identity.ClientStatuses.Inactive, now.ToUnixTimeMilliseconds(), cancellationToken);

        // Its app tokens and its agents' tokens stop working now, not at their expiry.
        long expires = now.AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
        await Revocations.RevokeAsync(RevocationLevel.App, app.EntityId, "app deregistered", expires, cancellationToken);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppDeregistered, Tessera.Audit.AuditOutcomes.Success, $"app deregistered | app_id={app.EntityId} | tokens revoked at level=app"),
            cancellationToken: cancellationToken);
        return new AppDeregisteredResponse(app.EntityId, Tessera.Identity.ClientStatuses.Inactive, AppAdminEndpoints.Rfc3339(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>A new secret; the previous one stays valid for <paramref name="grace"/> seconds.</summary>
    public async Task<AppSecretResponse> RotateSecretAsync(ClientRecord app, int grace, CancellationToken cancellationToken)
    {
        var s = Admin;
        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        await s.Clients.RotateSecretAsync(app.EntityId, s.Secrets.Hash(secret), until, now, cancellationToken);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppUpdated, Tessera.Audit.AuditOutcomes.Success, $"app secret rotated | app_id={app.EntityId} | grace_seconds={grace}"),
            cancellationToken: cancellationToken);
        return new AppSecretResponse(app.EntityId, app.ClientId, secret, until is null ? null : AppAdminEndpoints.Rfc3339(until.Value));
    }
}
