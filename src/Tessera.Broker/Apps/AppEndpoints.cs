using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Credentials;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Apps;

/// <summary><c>POST /v1/app/auth</c> and <c>POST /v1/app/launch-tokens</c>: what an app does with its credentials.</summary>
internal static class AppEndpoints
{
    /// <summary>The scopes every app token carries.</summary>
    public static readonly string[] AppScopes = ["app:launch-tokens:*", "app:agents:*", "app:audit:read"];

    public static void Map(IEndpointRouteBuilder app)
    {
        // The app's client_id and client_secret in the body are the credential, checked after the limiters below.
        app.MapPost("/v1/app/auth", AuthenticateAsync)
            .AllowAnonymous()
            .WithTags("Apps")
            .WithName("appAuth")
            .WithSummary("App login with client id and secret")
            .WithDescription("Exchanges an app's client_id and client_secret (the current one, or the previous one within its grace window) for an app token carrying the app scopes, valid for the app's token_ttl capped at max_ttl. Limited per address before the body is read, then per client_id. App tokens are not renewable.")
            .Accepts<AppAuthRequest>("application/json")
            .Produces<AppAuthResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesErrors(
                ErrorCatalog.InvalidRequest, ErrorCatalog.PayloadTooLarge, ErrorCatalog.UnsupportedMediaType, ErrorCatalog.Unauthorized,
                ErrorCatalog.RateLimitedAddress, ErrorCatalog.RateLimitedEndpoint, ErrorCatalog.RateLimited);
        app.MapPost("/v1/app/launch-tokens", CreateLaunchTokenAsync)
            .RequireAuthorization(BrokerPolicies.Scope("app:launch-tokens:*"))
            .WithTags("Apps")
            .WithName("createAppLaunchToken")
            .WithSummary("Create a launch token within the app's ceiling")
            .WithDescription("The request, response and checks of POST /v1/admin/launch-tokens, with an app token, plus the app's ceiling: every scope asked for must be covered by the app's scopes. The launch token records the app.")
            .ProducesErrors(ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl, ErrorCatalog.ScopeViolation);
    }

    /// <summary>
    /// Takes the raw request: the per-address limit comes before the body is read, the per-client one
    /// needs the body's client_id, and both answer with <c>Retry-After</c>.
    /// </summary>
    private static async Task<Results<Ok<AppAuthResponse>, ProblemResult>> AuthenticateAsync(
        HttpContext context, IOptions<BrokerOptions> options, TimeProvider time, AuditLog audit, AuditThrottle throttle, AppAuthLimiter limiter,
        ClientSecrets secrets, IClientStore clients, TokenService tokens, CancellationToken cancellationToken)
    {
        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        // The per-address limit (shared with the other credential endpoints) is taken before the body
        // or any client_id is looked at, so guessing many ids from one address is refused too.
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, "app_auth") is { } limited)
        {
            context.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return new ProblemResult(limited.Error, "rate limit exceeded, try again later", $"wait {limited.RetryAfterSeconds} second(s) before retrying");
        }

        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.AppAuthRequest, options.Value.MaxBodyBytes);

        // The per-client limit is taken before the secret is looked at; without a client_id, per address.
        string key = body.Value?.ClientId is { Length: > 0 and <= 128 } id ? "client:" + id : "ip:" + address;
        using var lease = limiter.Acquire(key);
        if (!lease.IsAcquired)
        {
            int seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 60;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            if (throttle.TryAcquire($"{AuditEventTypes.AppRateLimited} {address} {key}", out long suppressed))
            {
                string shown = key.StartsWith("client:", StringComparison.Ordinal) ? "client:" + AuditRedaction.ClientId(key["client:".Length..]) : key;
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AppRateLimited, Tessera.Audit.AuditOutcomes.Denied, $"app auth rate limited | key={shown}{AuditThrottle.Suffix(suppressed)}"), cancellationToken: cancellationToken);
            }

            return new ProblemResult(ErrorCatalog.RateLimited, "rate limit exceeded, try again later", $"wait {seconds} second(s) before retrying");
        }

        if (body.Failure is { } bad)
        {
            return bad.ToResult();
        }

        var request = body.Value!;
        if (string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.ClientSecret))
        {
            return new ProblemResult(ErrorCatalog.InvalidRequest, "client_id and client_secret are required");
        }

        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var client = request.ClientId.Length <= 128 ? await clients.FindByClientIdAsync(request.ClientId, cancellationToken) : null;

        // Unknown id, wrong secret and deregistered app get the same answer (and the same hashing work).
        bool ok = client is not null ? secrets.Verify(client, request.ClientSecret, now) : secrets.Hash(request.ClientSecret).Length == 0;
        if (client is null || !ok || client.Status != Tessera.Identity.ClientStatuses.Active || client.Kind != AppAdminEndpoints.Kind)
        {
            // One event per second per address and app (or per address for unknown ids); the rest are counted.
            if (throttle.TryAcquire($"{AuditEventTypes.AppAuthFailed} {address} {client?.EntityId}", out long suppressed))
            {
                var known = client is null ? AuditFragment.Empty : AuditFragment.Of($" | app_id={client.EntityId} | status={client.Status}");
                await audit.RecordAsync(
                    AuditDraft.Of(time, AuditEventTypes.AppAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"app authentication failed | client_id={AuditRedaction.ClientId(request.ClientId)}{known}{AuditThrottle.Suffix(suppressed)}"),
                    cancellationToken: cancellationToken);
            }

            return new ProblemResult(ErrorCatalog.Unauthorized, "Authentication failed", "check the client_id and client_secret; a deregistered app cannot authenticate");
        }

        int ttl = tokens.ClampToCeiling(client.TokenTtl);
        var (token, claims) = tokens.Issue($"app:{client.EntityId}", [tokens.Issuer], AppScopes, ttl, clientId: client.ClientId, appId: client.EntityId);
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.AppAuthenticated, Tessera.Audit.AuditOutcomes.Success, $"app authenticated | app_id={client.EntityId} | jti={claims.JwtId}"),
            cancellationToken: cancellationToken);
        return TypedResults.Ok(new AppAuthResponse(token, ttl, "Bearer", AppScopes));
    }

    private static async Task<Results<Created<LaunchTokenResponse>, ProblemResult>> CreateLaunchTokenAsync(
        LaunchTokenBody body, HttpContext context, IClientStore clients, [AsParameters] LaunchTokenIssuer issuer, CancellationToken cancellationToken)
    {
        var claims = context.BearerClaims();
        var app = claims.AppId is { } appId ? await clients.FindByEntityIdAsync(appId, cancellationToken) : null;
        if (app is null || app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            return new ProblemResult(ErrorCatalog.InsufficientScope, "app not found or deregistered");
        }

        var (response, failure) = await issuer.IssueAsync(body, claims.Subject, app.EntityId, ScopeSet.Of([.. app.Scopes]), cancellationToken);
        return response is null ? failure!.ToResult() : TypedResults.Created((string?)null, response);
    }
}

/// <summary>The per-client limiter of app authentication (token bucket per client_id, or per address without one).</summary>
internal sealed class AppAuthLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public AppAuthLimiter(IOptions<BrokerOptions> options)
    {
        var o = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.AppAuthBurst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(60.0 / o.AppAuthRate),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public RateLimitLease Acquire(string key) => _limiter.AttemptAcquire(key);

    public void Dispose() => _limiter.Dispose();
}
