using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Admin;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Apps;

/// <summary>
/// Apps, the long-lived identity of an orchestrating service (admin scope <c>admin:apps:*</c>):
/// <c>POST/GET /v1/admin/apps</c>, <c>GET/PUT/DELETE /v1/admin/apps/{id}</c>,
/// <c>POST /v1/admin/apps/{id}/rotate-secret</c>. An app is a credentialed client of kind
/// <c>app</c> whose grant is the ceiling of the launch tokens it may create. The requests are
/// checked by <see cref="AppValidation"/>, carried out by <see cref="AppLifecycle"/>.
/// </summary>
internal static class AppAdminEndpoints
{
    public const string Kind = Tessera.Identity.ClientKinds.App;

    public static void Map(IEndpointRouteBuilder app)
    {
        var apps = app.MapGroup("/v1/admin/apps").RequireAuthorization(BrokerPolicies.Scope("admin:apps:*")).WithTags("Apps");
        apps.MapPost("", CreateAsync)
            .WithName("createApp")
            .WithSummary("Register an app")
            .WithDescription("Registers a long-lived client with a client id, a client secret (shown only in this answer) and a scope ceiling for the launch tokens it creates.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl, ErrorCatalog.Conflict);
        apps.MapGet("", ListAsync)
            .WithName("listApps")
            .WithSummary("List apps")
            .WithDescription("Every app, oldest first, deregistered ones included; never a secret. Not audited.");
        apps.MapGet("/{id}", GetAsync)
            .WithName("getApp")
            .WithSummary("Show one app")
            .WithDescription("Not audited.")
            .ProducesErrors(ErrorCatalog.NotFound);
        apps.MapPut("/{id}", UpdateAsync)
            .WithName("updateApp")
            .WithSummary("Change an app's ceiling and/or token lifetime")
            .WithDescription("Partial update of scopes (replaces the ceiling) and token_ttl. Every field is checked before the app is looked up, so a malformed request for an unknown id gets the 400. A deregistered app cannot be edited.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        apps.MapDelete("/{id}", DeleteAsync)
            .WithName("deregisterApp")
            .WithSummary("Deregister an app and revoke its tokens")
            .WithDescription("Sets the app inactive and, before answering, revokes at level app: its tokens, those of agents registered with its launch tokens and those delegated from them are refused at once.")
            .ProducesErrors(ErrorCatalog.NotFound);
        apps.MapPost("/{id}/rotate-secret", RotateSecretAsync)
            .WithName("rotateAppSecret")
            .WithSummary("Issue a new client secret")
            .WithDescription("The client_id stays; the previous secret keeps working for grace_seconds (default secret_rotation_grace; 0 ends it at once). The body is optional.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
    }

    private static async Task<Results<Created<AppCreatedResponse>, ProblemResult>> CreateAsync(
        RequestBody<CreateAppRequest> body, [AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var request = body.Value;
        var fields = AppValidation.CheckCreate(request);
        if (fields.Failure is { } failure)
        {
            return failure.ToResult();
        }

        var (created, conflict) = await lifecycle.CreateAsync(request.Name!, fields, cancellationToken);
        return created is null ? conflict!.ToResult() : TypedResults.Created((string?)null, created);
    }

    private static async Task<Ok<AppListResponse>> ListAsync([AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken) =>
        TypedResults.Ok(await lifecycle.ListAsync(cancellationToken));

    private static async Task<Results<Ok<AppView>, ProblemResult>> GetAsync(string id, [AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken) =>
        await lifecycle.FindAsync(id, cancellationToken) is { } app ? TypedResults.Ok(View(app)) : NotFound;

    private static async Task<Results<Ok<AppView>, ProblemResult>> UpdateAsync(
        string id, RequestBody<UpdateAppRequest> body, [AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken)
    {
        // Everything is checked before anything is written: a bad field changes nothing.
        var request = body.Value;
        var fields = AppValidation.CheckUpdate(request);
        if (fields.Failure is { } failure)
        {
            return failure.ToResult();
        }

        if (await lifecycle.FindAsync(id, cancellationToken) is not { } app)
        {
            return NotFound;
        }

        if (app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            return Deregistered;
        }

        return TypedResults.Ok(await lifecycle.UpdateAsync(app, fields, request.TokenTtl, cancellationToken));
    }

    private static async Task<Results<Ok<AppDeregisteredResponse>, ProblemResult>> DeleteAsync(string id, [AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (await lifecycle.FindAsync(id, cancellationToken) is not { } app)
        {
            return NotFound;
        }

        return TypedResults.Ok(await lifecycle.DeregisterAsync(app, cancellationToken));
    }

    private static async Task<Results<Ok<AppSecretResponse>, ProblemResult>> RotateSecretAsync(
        string id, OptionalRequestBody<RotateSecretRequest> body, [AsParameters] AppLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (lifecycle.Admin.CheckGrace(body.Value, out int grace) is { } failure)
        {
            return failure.ToResult();
        }

        if (await lifecycle.FindAsync(id, cancellationToken) is not { } app)
        {
            return NotFound;
        }

        if (app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            return Deregistered;
        }

        return TypedResults.Ok(await lifecycle.RotateSecretAsync(app, grace, cancellationToken));
    }

    private static ProblemResult NotFound => new(ErrorCatalog.NotFound, "app not found");

    private static ProblemResult Deregistered => new(ErrorCatalog.Conflict, "app is deregistered", "register a new app");

    internal static AppView View(ClientRecord app) => new(
        app.EntityId, app.Name, app.ClientId, [.. app.Scopes], app.TokenTtl, app.Status,
        Rfc3339(app.CreatedAtMs), Rfc3339(app.UpdatedAtMs), app.PreviousValidUntilMs is { } until ? Rfc3339(until) : null);

    /// <summary>An RFC 3339 UTC time of Unix milliseconds; the Core helper <see cref="Tessera.Time.Timestamps.Rfc3339(long)"/>, kept here for its callers.</summary>
    internal static string Rfc3339(long ms) => Tessera.Time.Timestamps.Rfc3339(ms);
}
