using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Platforms;

/// <summary>
/// Platforms (admin scope <c>admin:platforms:*</c>): <c>POST/GET /v1/admin/platforms</c>,
/// <c>GET/PUT/DELETE /v1/admin/platforms/{id}</c>, <c>POST /v1/admin/platforms/{id}/rotate-secret</c>,
/// and <c>GET /v1/platforms/{id}/scopes-file</c>. A platform also gets its own client
/// credentials (kind <c>platform</c>), with which it sends enforcement reports and fetches its scopes file.
/// The requests are checked by <see cref="PlatformValidation"/>, carried out by <see cref="PlatformLifecycle"/>.
/// </summary>
internal static class PlatformAdminEndpoints
{
    public const string Kind = Tessera.Identity.ClientKinds.Platform;
    public static readonly string[] Profiles = PlatformValidation.Profiles;

    public static void Map(IEndpointRouteBuilder app)
    {
        var platforms = app.MapGroup("/v1/admin/platforms").RequireAuthorization(BrokerPolicies.Scope("admin:platforms:*")).WithTags("Platforms");
        platforms.MapPost("", CreateAsync)
            .WithName("createPlatform")
            .WithSummary("Register a platform")
            .WithDescription("Registers an API that credential agents call: its platform_id (the aud of its tokens), host names, the scopes it defines, its route rules and token profile. Answers with the platform's own client credentials; the secret is shown only here.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.Conflict);
        platforms.MapGet("", ListAsync)
            .WithName("listPlatforms")
            .WithSummary("List platforms")
            .WithDescription("Every platform, oldest first; never a secret. Not audited.");
        platforms.MapGet("/{id}", GetAsync)
            .WithName("getPlatform")
            .WithSummary("Show one platform")
            .WithDescription("Not audited.")
            .ProducesErrors(ErrorCatalog.NotFound);
        platforms.MapPut("/{id}", UpdateAsync)
            .WithName("updatePlatform")
            .WithSummary("Change a platform")
            .WithDescription("Partial update: a field sent replaces the old value. The merged result is checked with the rules of registration before anything is written, and narrowed scopes must still cover every grant on the platform. The version goes up by one.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.NotFound, ErrorCatalog.Conflict);
        platforms.MapDelete("/{id}", DeleteAsync)
            .WithName("removePlatform")
            .WithSummary("Remove a platform and every grant on it")
            .WithDescription("Deletes the platform and its grants and disables its own credentials. Tokens already issued are not revoked. The id can be registered again.")
            .ProducesErrors(ErrorCatalog.NotFound);
        platforms.MapPost("/{id}/rotate-secret", RotateSecretAsync)
            .WithName("rotatePlatformSecret")
            .WithSummary("Issue a new client secret for the platform")
            .WithDescription("The client_id stays; the previous secret keeps working for grace_seconds (default secret_rotation_grace). The body is optional.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.NotFound);
        app.MapGet("/v1/platforms/{id}/scopes-file", ScopesFileAsync)
            .RequireAuthorization(BrokerPolicies.PlatformItselfOrAdmin)
            .WithTags("Platforms")
            .WithName("getScopesFile")
            .WithSummary("The platform's scopes file (YAML)")
            .WithDescription("The platform's route rules in the format the verification library loads, most specific first, for an admin token or the platform itself (HTTP Basic). Carries an ETag; If-None-Match answers 304.")
            .Produces<string>(StatusCodes.Status200OK, "application/yaml")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesErrors(ErrorCatalog.NotFound, ErrorCatalog.Conflict);
    }

    private static async Task<Results<Created<PlatformCreatedResponse>, ProblemResult>> CreateAsync(
        RequestBody<CreatePlatformRequest> body, [AsParameters] PlatformLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var request = body.Value;
        var fields = PlatformValidation.CheckCreate(request);
        if (fields.Failure is { } failure)
        {
            return failure.ToResult();
        }

        var (created, conflict) = await lifecycle.CreateAsync(request, fields, cancellationToken);
        return created is null ? conflict!.ToResult() : TypedResults.Created((string?)null, created);
    }

    private static async Task<Ok<PlatformListResponse>> ListAsync([AsParameters] PlatformLifecycle lifecycle, CancellationToken cancellationToken) =>
        TypedResults.Ok(await lifecycle.ListAsync(cancellationToken));

    private static async Task<Results<Ok<PlatformView>, ProblemResult>> GetAsync(string id, IPlatformStore platforms, IClientStore clients, CancellationToken cancellationToken)
    {
        if (await FindAsync(platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        var client = await clients.FindByEntityIdAsync(PlatformLifecycle.Entity(platform.PlatformId), cancellationToken);
        return TypedResults.Ok(View(platform, client));
    }

    private static async Task<Results<Ok<PlatformView>, ProblemResult>> UpdateAsync(
        string id, RequestBody<UpdatePlatformRequest> body, [AsParameters] PlatformLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (PlatformValidation.CheckUpdateShape(request) is { } shape)
        {
            return shape.ToResult();
        }

        if (await FindAsync(lifecycle.Platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        // Everything is checked, against the merged result, before anything is written.
        var routes = request.Routes ?? RouteRules.Deserialize(platform.RoutesJson);
        var fields = PlatformValidation.CheckUpdate(request, platform, routes);
        if (fields.Failure is { } failure)
        {
            return failure.ToResult();
        }

        // Narrowing what a platform defines may not leave grants wider than it: the operator narrows those first.
        if (request.Scopes is not null && fields.Scopes.Length > 0 &&
            PlatformValidation.WiderGrant(await lifecycle.Platforms.ListGrantsOnPlatformAsync(platform.PlatformId, cancellationToken), fields.Scopes) is { } wider)
        {
            return wider.ToResult();
        }

        var (view, gone) = await lifecycle.UpdateAsync(platform, fields, routes, cancellationToken);
        return view is null ? gone!.ToResult() : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<PlatformRemovedResponse>, ProblemResult>> DeleteAsync(string id, [AsParameters] PlatformLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (await FindAsync(lifecycle.Platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        return TypedResults.Ok(await lifecycle.DeleteAsync(platform, cancellationToken));
    }

    private static async Task<Results<Ok<PlatformSecretResponse>, ProblemResult>> RotateSecretAsync(
        string id, OptionalRequestBody<RotateSecretRequest> body, [AsParameters] PlatformLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (lifecycle.Admin.CheckGrace(body.Value, out int grace) is { } failure)
        {
            return failure.ToResult();
        }

        if (await FindAsync(lifecycle.Platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        return TypedResults.Ok(await lifecycle.RotateSecretAsync(platform, grace, cancellationToken));
    }

    /// <summary>The platform's scopes file: for an admin token, or for the platform itself (HTTP Basic).</summary>
    private static async Task<Results<ContentHttpResult, StatusCodeHttpResult, ProblemResult>> ScopesFileAsync(
        string id, HttpContext context, IPlatformStore platforms, CancellationToken cancellationToken)
    {
        if (await FindAsync(platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        // The file is a function of the stored platform, whose version moves on every update; the
        // creation time tells apart a platform removed and registered again under the same id.
        string etag = ScopesFileETag(platform);
        if (context.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } conditions &&
            conditions.Any(c => c.Equals(Microsoft.Net.Http.Headers.EntityTagHeaderValue.Any) || c.Compare(new Microsoft.Net.Http.Headers.EntityTagHeaderValue(etag), useStrongComparison: false)))
        {
            context.Response.Headers.ETag = etag;
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var routes = RouteRules.Deserialize(platform.RoutesJson);
        if (platform.TokenProfile == "mudraid" && RouteRules.MudraIdProblem(routes) is { } problem)
        {
            return new ProblemResult(ErrorCatalog.Conflict, $"the routes cannot be written in MudraID's scopes file format: {problem}", "use one exact scope per route and no {*rest}, or switch the platform to the tessera token profile");
        }

        string yaml = RouteRules.RenderYaml(platform.PlatformId, platform.Version, routes);
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Text(yaml, "application/yaml; charset=utf-8");
    }

    /// <summary>The scopes file's entity tag: <c>"{platform_id}.{version}.{created_at_ms}"</c>, the same on every replica.</summary>
    internal static string ScopesFileETag(PlatformRecord platform) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{platform.PlatformId}.{platform.Version}.{platform.CreatedAtMs}\"");

    internal static PlatformView View(PlatformRecord p, ClientRecord? client) => new(
        p.PlatformId, p.Name, [.. p.Hostnames], [.. p.Scopes], RouteRules.Deserialize(p.RoutesJson), p.TokenProfile, p.Version, Tessera.Identity.ClientStatuses.Active,
        client?.ClientId ?? "", AppAdminEndpoints.Rfc3339(p.CreatedAtMs), AppAdminEndpoints.Rfc3339(p.UpdatedAtMs),
        client?.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);

    private static ProblemResult NotFound => new(ErrorCatalog.NotFound, "platform not found");

    private static async Task<PlatformRecord?> FindAsync(IPlatformStore platforms, string id, CancellationToken cancellationToken) =>
        id.Length <= PlatformValidation.MaxIdLength ? await platforms.FindAsync(id, cancellationToken) : null;
}
