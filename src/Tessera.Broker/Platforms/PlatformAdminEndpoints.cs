using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Admin;
using Tessera.Broker.Apps;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Revocation;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Platforms;

/// <summary>
/// Platforms (admin scope <c>admin:platforms:*</c>): <c>POST/GET /v1/admin/platforms</c>,
/// <c>GET/PUT/DELETE /v1/admin/platforms/{id}</c>, <c>POST /v1/admin/platforms/{id}/rotate-secret</c>,
/// and <c>GET /v1/platforms/{id}/scopes-file</c>. A platform also gets its own client
/// credentials (kind <c>platform</c>), with which it sends enforcement reports and fetches its scopes file.
/// </summary>
internal static partial class PlatformAdminEndpoints
{
    public const string Kind = Tessera.Identity.ClientKinds.Platform;
    public static readonly string[] Profiles = ["tessera", "mudraid"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var platforms = app.MapGroup("/v1/admin/platforms").RequireAuthorization(BrokerPolicies.Scope("admin:platforms:*"));
        platforms.MapPost("", CreateAsync);
        platforms.MapGet("", ListAsync);
        platforms.MapGet("/{id}", GetAsync).WithSummary("One platform").ProducesErrors(ErrorCatalog.NotFound);
        platforms.MapPut("/{id}", UpdateAsync);
        platforms.MapDelete("/{id}", DeleteAsync);
        platforms.MapPost("/{id}/rotate-secret", RotateSecretAsync);
        app.MapGet("/v1/platforms/{id}/scopes-file", ScopesFileAsync).RequireAuthorization(BrokerPolicies.PlatformItselfOrAdmin);
    }

    private static async Task CreateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.CreatePlatformRequest) is not { } request)
        {
            return;
        }
        Failure? failure = null;
        if (string.IsNullOrEmpty(request.PlatformId))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "platform_id is required");
        }
        else if (request.PlatformId.Length > 64 || !IdPattern().IsMatch(request.PlatformId))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid platform_id: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters");
        }

        var fields = Check(request.Name ?? request.PlatformId, request.Hostnames ?? [], request.Scopes ?? [], request.Routes ?? [], request.TokenProfile ?? "tessera");
        failure ??= fields.Failure;
        if (failure is not null)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

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
        EnsureProfileKey(context, platform.TokenProfile);
        var platforms = context.RequestServices.GetRequiredService<IPlatformStore>();
        if (!await platforms.CreateAsync(platform, context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.Conflict, $"a platform with id '{platform.PlatformId}' already exists", "pick another id, or update the existing platform").ExecuteAsync(context);
            return;
        }

        // A verifier already waiting for this platform (not ready until it exists) loads it now.
        context.RequestServices.GetRequiredService<RevocationFeed>().NotifyRoutesChanged(platform.PlatformId, platform.Version);

        // The platform's own credentials: for its enforcement reports and its scopes file.
        string secret = ClientSecrets.NewSecret();
        var client = new ClientRecord
        {
            ClientId = ClientSecrets.NewClientId(),
            Kind = Kind,
            EntityId = "platform:" + platform.PlatformId,
            Name = platform.PlatformId,
            SecretHash = s.Secrets.Hash(secret),
            Scopes = [],
            TokenTtl = 0,
            Status = Tessera.Identity.ClientStatuses.Active,
            CreatedAtMs = now,
            UpdatedAtMs = now,
        };
        if (!await s.Clients.CreateAsync(client, context.RequestAborted))
        {
            // A platform of this id existed before and was removed: its credential record is reused.
            var old = await s.Clients.FindByEntityIdAsync(client.EntityId, context.RequestAborted);
            await s.Clients.RotateSecretAsync(client.EntityId, client.SecretHash, null, now, context.RequestAborted);
            await s.Clients.SetStatusAsync(client.EntityId, Tessera.Identity.ClientStatuses.Active, now, context.RequestAborted);
            client = client with { ClientId = old?.ClientId ?? client.ClientId };
        }

        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformRegistered, Tessera.Audit.AuditOutcomes.Success, $"platform registered | platform_id={platform.PlatformId} | hostnames={string.Join(',', platform.Hostnames)} | scopes={string.Join(',', platform.Scopes)} | token_profile={platform.TokenProfile}", resource: platform.PlatformId),
            cancellationToken: context.RequestAborted);
        var view = View(platform, client);
        await Results.Json(
            new PlatformCreatedResponse(view.PlatformId, view.Name, view.Hostnames, view.Scopes, view.Routes, view.TokenProfile, view.Version, view.Status, view.ClientId, view.CreatedAt, view.UpdatedAt, secret),
            BrokerJson.Default.PlatformCreatedResponse,
            statusCode: StatusCodes.Status201Created).ExecuteAsync(context);
    }

    private static async Task ListAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        var platforms = await context.RequestServices.GetRequiredService<IPlatformStore>().ListAsync(context.RequestAborted);
        var views = new List<PlatformView>(platforms.Count);
        foreach (var p in platforms)
        {
            views.Add(View(p, await s.Clients.FindByEntityIdAsync("platform:" + p.PlatformId, context.RequestAborted)));
        }

        await Results.Json(new PlatformListResponse([.. views], views.Count), BrokerJson.Default.PlatformListResponse).ExecuteAsync(context);
    }

    private static async Task<Results<Ok<PlatformView>, ProblemResult>> GetAsync(string id, IPlatformStore platforms, IClientStore clients, CancellationToken cancellationToken)
    {
        if (await FindAsync(platforms, id, cancellationToken) is not { } platform)
        {
            return NotFound;
        }

        var client = await clients.FindByEntityIdAsync("platform:" + platform.PlatformId, cancellationToken);
        return TypedResults.Ok(View(platform, client));
    }

    private static ProblemResult NotFound => new(ErrorCatalog.NotFound, "platform not found");

    private static async Task<PlatformRecord?> FindAsync(IPlatformStore platforms, string id, CancellationToken cancellationToken) =>
        id.Length <= 64 ? await platforms.FindAsync(id, cancellationToken) : null;

    private static async Task UpdateAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await s.ReadBodyAsync(context, BrokerJson.Default.UpdatePlatformRequest) is not { } request)
        {
            return;
        }
        if (request.Name is null && request.Hostnames is null && request.Scopes is null && request.Routes is null && request.TokenProfile is null)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "at least one of name, hostnames, scopes, routes or token_profile must be provided").ExecuteAsync(context);
            return;
        }

        if (await FindAsync(context) is not { } platform)
        {
            return;
        }

        // Everything is checked, against the merged result, before anything is written.
        var routes = request.Routes ?? RouteRules.Deserialize(platform.RoutesJson);
        var fields = Check(
            request.Name ?? platform.Name, request.Hostnames ?? [.. platform.Hostnames], request.Scopes ?? [.. platform.Scopes], routes,
            request.TokenProfile ?? platform.TokenProfile);
        if (fields.Failure is { } failure)
        {
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        // Narrowing what a platform defines may not leave grants wider than it: the operator narrows those first.
        if (request.Scopes is not null && fields.Scopes.Length > 0 && ScopeSet.TryParse(fields.Scopes, out var defined, out _))
        {
            var store0 = context.RequestServices.GetRequiredService<IPlatformStore>();
            foreach (var grant in await store0.ListGrantsOnPlatformAsync(platform.PlatformId, context.RequestAborted))
            {
                if (grant.Scopes.FirstOrDefault(g => !Scope.TryParse(g, out var parsed, out _) || !defined.Covers(parsed)) is { } wider)
                {
                    await new ProblemResult(
                        ErrorCatalog.Conflict, $"agent {grant.AgentId} holds '{wider}' on this platform, which the new scopes do not cover",
                        "narrow or remove that grant first (POST /v1/admin/agents/{id}/grants or DELETE .../grants/{platform_id})").ExecuteAsync(context);
                    return;
                }
            }
        }

        var updated = platform with
        {
            Name = fields.Name,
            Hostnames = fields.Hostnames,
            Scopes = fields.Scopes,
            RoutesJson = RouteRules.Serialize(routes),
            TokenProfile = fields.Profile,
            UpdatedAtMs = s.Time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        EnsureProfileKey(context, updated.TokenProfile);
        var store = context.RequestServices.GetRequiredService<IPlatformStore>();
        if (!await store.UpdateAsync(updated, context.RequestAborted))
        {
            await new ProblemResult(ErrorCatalog.NotFound, "platform not found").ExecuteAsync(context);
            return;
        }

        var stored = (await store.FindAsync(platform.PlatformId, context.RequestAborted))!;
        // Every update moves the version, which the scopes file carries: its verifier refetches it.
        context.RequestServices.GetRequiredService<RevocationFeed>().NotifyRoutesChanged(stored.PlatformId, stored.Version);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformUpdated, Tessera.Audit.AuditOutcomes.Success, $"platform updated | platform_id={stored.PlatformId} | version={stored.Version} | hostnames={string.Join(',', stored.Hostnames)} | scopes={string.Join(',', stored.Scopes)} | token_profile={stored.TokenProfile}", resource: stored.PlatformId),
            cancellationToken: context.RequestAborted);
        var client = await s.Clients.FindByEntityIdAsync("platform:" + stored.PlatformId, context.RequestAborted);
        await Results.Json(View(stored, client), BrokerJson.Default.PlatformView).ExecuteAsync(context);
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);
        if (await FindAsync(context) is not { } platform)
        {
            return;
        }

        var now = s.Time.GetUtcNow();
        await context.RequestServices.GetRequiredService<IPlatformStore>().DeleteAsync(platform.PlatformId, context.RequestAborted);
        await s.Clients.SetStatusAsync("platform:" + platform.PlatformId, Tessera.Identity.ClientStatuses.Inactive, now.ToUnixTimeMilliseconds(), context.RequestAborted);
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformRemoved, Tessera.Audit.AuditOutcomes.Success, $"platform removed | platform_id={platform.PlatformId} | grants on it removed", resource: platform.PlatformId),
            cancellationToken: context.RequestAborted);
        await Results.Json(new PlatformRemovedResponse(platform.PlatformId, "removed", AppAdminEndpoints.Rfc3339(now.ToUnixTimeMilliseconds())), BrokerJson.Default.PlatformRemovedResponse).ExecuteAsync(context);
    }

    private static async Task RotateSecretAsync(HttpContext context)
    {
        var s = AdminRequest.For(context);

        if (await AdminRequest.ReadGraceAsync(context, s) is not { } grace || await FindAsync(context) is not { } platform)
        {
            return;
        }

        string secret = ClientSecrets.NewSecret();
        long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long? until = grace > 0 ? now + (grace * 1000L) : null;
        string entity = "platform:" + platform.PlatformId;
        await s.Clients.RotateSecretAsync(entity, s.Secrets.Hash(secret), until, now, context.RequestAborted);
        var client = (await s.Clients.FindByEntityIdAsync(entity, context.RequestAborted))!;
        await s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.PlatformUpdated, Tessera.Audit.AuditOutcomes.Success, $"platform secret rotated | platform_id={platform.PlatformId} | grace_seconds={grace}", resource: platform.PlatformId),
            cancellationToken: context.RequestAborted);
        await Results.Json(
            new PlatformSecretResponse(platform.PlatformId, client.ClientId, secret, until is null ? null : AppAdminEndpoints.Rfc3339(until.Value)),
            BrokerJson.Default.PlatformSecretResponse).ExecuteAsync(context);
    }

    /// <summary>The platform's scopes file: for an admin token, or for the platform itself (HTTP Basic).</summary>
    private static async Task ScopesFileAsync(HttpContext context)
    {
        if (await FindAsync(context) is not { } platform)
        {
            return;
        }

        // The file is a function of the stored platform, whose version moves on every update; the
        // creation time tells apart a platform removed and registered again under the same id.
        string etag = ScopesFileETag(platform);
        if (context.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } conditions &&
            conditions.Any(c => c.Equals(Microsoft.Net.Http.Headers.EntityTagHeaderValue.Any) || c.Compare(new Microsoft.Net.Http.Headers.EntityTagHeaderValue(etag), useStrongComparison: false)))
        {
            context.Response.Headers.ETag = etag;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var routes = RouteRules.Deserialize(platform.RoutesJson);
        if (platform.TokenProfile == "mudraid" && RouteRules.MudraIdProblem(routes) is { } problem)
        {
            await new ProblemResult(ErrorCatalog.Conflict, $"the routes cannot be written in MudraID's scopes file format: {problem}", "use one exact scope per route and no {*rest}, or switch the platform to the tessera token profile").ExecuteAsync(context);
            return;
        }

        string yaml = RouteRules.RenderYaml(platform.PlatformId, platform.Version, routes);
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-store";
        await Results.Text(yaml, "application/yaml; charset=utf-8").ExecuteAsync(context);
    }

    /// <summary>The scopes file's entity tag: <c>"{platform_id}.{version}.{created_at_ms}"</c>, the same on every replica.</summary>
    internal static string ScopesFileETag(PlatformRecord platform) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{platform.PlatformId}.{platform.Version}.{platform.CreatedAtMs}\"");

    /// <summary>The mudraid profile's RS256 key is created (and so published) before the first such platform exists.</summary>
    private static void EnsureProfileKey(HttpContext context, string profile)
    {
        if (profile == "mudraid")
        {
            if (context.RequestServices.GetRequiredService<Keys.ProfileKeys>().EnsureExists())
            {
                context.RequestServices.GetRequiredService<Keys.KeyRotation>().AnnounceNewRing();
            }
        }
    }

    internal static async Task<PlatformRecord?> FindAsync(HttpContext context)
    {
        string id = context.Request.RouteValues["id"] as string ?? "";
        var platform = id.Length <= 64 ? await context.RequestServices.GetRequiredService<IPlatformStore>().FindAsync(id, context.RequestAborted) : null;
        if (platform is null)
        {
            await new ProblemResult(ErrorCatalog.NotFound, "platform not found").ExecuteAsync(context);
        }

        return platform;
    }

    private static Fields Check(string? name, string?[] hostnames, string?[] scopes, RouteRuleDto?[] routes, string profile)
    {
        if (string.IsNullOrWhiteSpace(name) || !PrintableName.IsValid(name, 128))
        {
            return Fields.Fail(new Failure(ErrorCatalog.InvalidRequest, $"name must be 1 to 128 printable characters ({PrintableName.Rule})"));
        }

        if (hostnames.Length > 32)
        {
            return Fields.Fail(new Failure(ErrorCatalog.InvalidRequest, "hostnames: at most 32"));
        }

        var hosts = new List<string>();
        foreach (string? h in hostnames)
        {
            string? host = h?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(host) || host.Length > 253 || !HostPattern().IsMatch(host))
            {
                return Fields.Fail(new Failure(ErrorCatalog.InvalidRequest, $"hostnames: '{Printable(h)}' is not a host name (letters, digits, hyphens and dots; no scheme, port or path)"));
            }

            if (!hosts.Contains(host))
            {
                hosts.Add(host);
            }
        }

        if (!ScopeSet.TryParse(scopes, out var scopeSet, out string? scopeError))
        {
            return Fields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scopes: {scopeError}"));
        }

        foreach (var scope in scopeSet.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal) || scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return Fields.Fail(new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in a namespace reserved for the broker's own tokens"));
            }
        }

        if (!Profiles.Contains(profile))
        {
            return Fields.Fail(new Failure(ErrorCatalog.InvalidRequest, "token_profile must be tessera or mudraid"));
        }

        string[] scopeList = scopeSet.ToArray();
        if (RouteRules.Validate(routes, scopeList) is { } routeFailure)
        {
            return Fields.Fail(routeFailure);
        }

        return new Fields(name.Trim(), [.. hosts], scopeList, profile, null);
    }

    internal static PlatformView View(PlatformRecord p, ClientRecord? client) => new(
        p.PlatformId, p.Name, [.. p.Hostnames], [.. p.Scopes], RouteRules.Deserialize(p.RoutesJson), p.TokenProfile, p.Version, Tessera.Identity.ClientStatuses.Active,
        client?.ClientId ?? "", AppAdminEndpoints.Rfc3339(p.CreatedAtMs), AppAdminEndpoints.Rfc3339(p.UpdatedAtMs),
        client?.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);

    private static string Printable(string? value) =>
        value is null ? "null" : new([.. value.Take(64).Select(c => c is >= ' ' and < (char)127 ? c : '?')]);

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();

    private sealed record Fields(string Name, string[] Hostnames, string[] Scopes, string Profile, Failure? Failure)
    {
        public static Fields Fail(Failure failure) => new("", [], [], "", failure);
    }
}
