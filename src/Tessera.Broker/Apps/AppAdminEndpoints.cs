using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
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
using Tessera.Scopes;
using Tessera.Storage.Clients;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Apps;

/// <summary>
/// Apps, the long-lived identity of an orchestrating service (admin scope <c>admin:apps:*</c>):
/// <c>POST/GET /v1/admin/apps</c>, <c>GET/PUT/DELETE /v1/admin/apps/{id}</c>,
/// <c>POST /v1/admin/apps/{id}/rotate-secret</c>. An app is a credentialed client of kind
/// <c>app</c> whose grant is the ceiling of the launch tokens it may create.
/// </summary>
internal static partial class AppAdminEndpoints
{
    public const string Kind = Tessera.Identity.ClientKinds.App;

    public static void Map(IEndpointRouteBuilder app)
    {
        var apps = app.MapGroup("/v1/admin/apps").RequireAuthorization(BrokerPolicies.Scope("admin:apps:*"));
        apps.MapPost("", CreateAsync);
        apps.MapGet("", ListAsync);
        apps.MapGet("/{id}", GetAsync);
        apps.MapPut("/{id}", UpdateAsync);
        apps.MapDelete("/{id}", DeleteAsync);
        apps.MapPost("/{id}/rotate-secret", RotateSecretAsync);
    }

    private static async Task CreateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.CreateAppRequest) is not { } request)
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
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid app name: must be lowercase letters, digits, and hyphens", "at most 64 characters, starting with a letter, no double or trailing hyphen");
        }

        var (scopes, scopeFailure) = ParseScopes(request.Scopes);
        failure ??= scopeFailure;
        int ttl = request.TokenTtl ?? 1800;
        failure ??= CheckTtl(ttl);
        if (failure is not null)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = Kind,
            EntityId = $"app-{request.Name}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}",
            Name = request.Name!,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = scopes!.ToArray(),
            TokenTtl = ttl,
            Status = Tessera.Identity.ClientStatuses.Active,
            CreatedAtMs = now,
            UpdatedAtMs = now,
        };
        if (!await s.Clients.CreateAsync(record, context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.Conflict, $"an app named '{request.Name}' already exists", "pick another name, or update the existing app").ExecuteAsync(context);
            return;
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppRegistered, Tessera.Audit.AuditOutcomes.Success, $"app registered | app_id={record.EntityId} | client_id={record.ClientId} | scopes={string.Join(',', record.Scopes)} | token_ttl={ttl}"),
            cancellationToken: context.RequestAborted);
        await Results.Json(
            new AppCreatedResponse(record.EntityId, record.Name, record.ClientId, secret, [.. record.Scopes], ttl, record.Status),
            BrokerJson.Default.AppCreatedResponse,
            statusCode: StatusCodes.Status201Created).ExecuteAsync(context);
    }

    private static async Task ListAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        var apps = await s.Clients.ListAsync(Kind, context.RequestAborted);
        var views = apps.Select(View).ToArray();
        await Results.Json(new AppListResponse(views, views.Length), BrokerJson.Default.AppListResponse).ExecuteAsync(context);
    }

    private static async Task GetAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        var app = await FindAsync(context, s);
        if (app is not null)
        {
            await Results.Json(View(app), BrokerJson.Default.AppView).ExecuteAsync(context);
        }
    }

    private static async Task UpdateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.UpdateAppRequest) is not { } request)
        {
            return;
        }
        if (request.Scopes is null && request.TokenTtl is null)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "at least one of scopes or token_ttl must be provided").ExecuteAsync(context);
            return;
        }

        // Everything is checked before anything is written: a bad field changes nothing.
        ScopeSet? scopes = null;
        if (request.Scopes is not null)
        {
            (scopes, var scopeFailure) = ParseScopes(request.Scopes);
            if (scopeFailure is not null)
            {
                await ProblemResult.From(scopeFailure).ExecuteAsync(context);
                return;
            }
        }

        if (request.TokenTtl is { } ttl && CheckTtl(ttl) is { } ttlFailure)
        {
            await ProblemResult.From(ttlFailure).ExecuteAsync(context);
            return;
        }

        var app = await FindAsync(context, s);
        if (app is null)
        {
            return;
        }

        if (app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            await new ProblemResult(ErrorCatalog.Conflict, "app is deregistered", "register a new app").ExecuteAsync(context);
            return;
        }

        await s.Clients.UpdateAsync(app.EntityId, scopes?.ToArray(), request.TokenTtl, s.Time.GetUtcNow().ToUnixTimeMilliseconds(), context.RequestAborted);
        var updated = (await s.Clients.FindByEntityIdAsync(app.EntityId, context.RequestAborted))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppUpdated, Tessera.Audit.AuditOutcomes.Success, $"app updated | app_id={app.EntityId} | scopes={string.Join(',', updated.Scopes)} | token_ttl={updated.TokenTtl}"),
            cancellationToken: context.RequestAborted);
        await Results.Json(View(updated), BrokerJson.Default.AppView).ExecuteAsync(context);
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        var app = await FindAsync(context, s);
        if (app is null)
        {
            return;
        }

        var now = s.Time.GetUtcNow();
        await s.Clients.SetStatusAsync(app.EntityId, Tessera.Identity.ClientStatuses.Inactive, now.ToUnixTimeMilliseconds(), context.RequestAborted);

        // Its app tokens and its agents' tokens stop working now, not at their expiry.
        long expires = now.AddSeconds(s.Options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
        await context.RequestServices.GetRequiredService<RevocationList>().RevokeAsync(RevocationLevel.App, app.EntityId, "app deregistered", expires, context.RequestAborted);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppDeregistered, Tessera.Audit.AuditOutcomes.Success, $"app deregistered | app_id={app.EntityId} | tokens revoked at level=app"),
            cancellationToken: context.RequestAborted);
        await Results.Json(new AppDeregisteredResponse(app.EntityId, Tessera.Identity.ClientStatuses.Inactive, Rfc3339(now.ToUnixTimeMilliseconds())), BrokerJson.Default.AppDeregisteredResponse).ExecuteAsync(context);
    }

    private static async Task RotateSecretAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await AdminRequest.ReadGraceAsync(context, s) is not { } grace)
        {
            return;
        }

        var app = await FindAsync(context, s);
        if (app is null)
        {
            return;
        }

        if (app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            await new ProblemResult(ErrorCatalog.Conflict, "app is deregistered", "register a new app").ExecuteAsync(context);
            return;
        }

        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        await s.Clients.RotateSecretAsync(app.EntityId, s.Secrets.Hash(secret), until, now, context.RequestAborted);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AppUpdated, Tessera.Audit.AuditOutcomes.Success, $"app secret rotated | app_id={app.EntityId} | grace_seconds={grace}"),
            cancellationToken: context.RequestAborted);
        await Results.Json(new AppSecretResponse(app.EntityId, app.ClientId, secret, until is null ? null : Rfc3339(until.Value)), BrokerJson.Default.AppSecretResponse).ExecuteAsync(context);
    }

    private static async Task<ClientRecord?> FindAsync(HttpContext context, AdminRequest s)
    {
        string id = context.Request.RouteValues["id"] as string ?? "";
        var app = id.Length <= 128 ? await s.Clients.FindByEntityIdAsync(id, context.RequestAborted) : null;
        if (app is null || app.Kind != Kind)
        {
            await new ProblemResult(ErrorCatalog.NotFound, "app not found").ExecuteAsync(context);
            return null;
        }

        return app;
    }

    private static (ScopeSet? Scopes, Failure? Failure) ParseScopes(string?[]? scopes)
    {
        if (scopes is null || scopes.Length == 0)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "scopes must not be empty"));
        }

        if (!ScopeSet.TryParse(scopes, out var set, out string? error))
        {
            return (null, new Failure(ErrorCatalog.InvalidScopeFormat, error));
        }

        foreach (var scope in set.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal))
            {
                return (null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the admin: namespace, which is reserved for the broker's own admin tokens"));
            }

            if (scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return (null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the app: namespace, which is reserved for app tokens"));
            }
        }

        return (set, null);
    }

    private static Failure? CheckTtl(int ttl) => ttl is < 60 or > 86400
        ? new Failure(ErrorCatalog.InvalidTtl, $"invalid token TTL: must be between 60 and 86400 seconds, got {ttl}")
        : null;

    private static AppView View(ClientRecord app) => new(
        app.EntityId, app.Name, app.ClientId, [.. app.Scopes], app.TokenTtl, app.Status,
        Rfc3339(app.CreatedAtMs), Rfc3339(app.UpdatedAtMs), app.PreviousValidUntilMs is { } until ? Rfc3339(until) : null);

    internal static string Rfc3339(long ms) => Tessera.Time.Timestamps.Rfc3339(ms);

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
