using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
        app.MapPost("/v1/app/auth", AuthenticateAsync).AllowAnonymous();
        app.MapPost("/v1/app/launch-tokens", CreateLaunchTokenAsync).RequireAuthorization(BrokerPolicies.Scope("app:launch-tokens:*"));
    }

    private static async Task AuthenticateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();
        var throttle = services.GetRequiredService<AuditThrottle>();
        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        // The per-address limit (shared with the other credential endpoints) is taken before the body
        // or any client_id is looked at, so guessing many ids from one address is refused too.
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, "app_auth") is { } limited)
        {
            context.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await new ProblemResult(limited.Error, "rate limit exceeded, try again later", $"wait {limited.RetryAfterSeconds} second(s) before retrying").ExecuteAsync(context);
            return;
        }

        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.AppAuthRequest, options.MaxBodyBytes);

        // The per-client limit is taken before the secret is looked at; without a client_id, per address.
        string key = body.Value?.ClientId is { Length: > 0 and <= 128 } id ? "client:" + id : "ip:" + address;
        using var lease = services.GetRequiredService<AppAuthLimiter>().Acquire(key);
        if (!lease.IsAcquired)
        {
            int seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 60;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            if (throttle.TryAcquire($"{AuditEventTypes.AppRateLimited} {address} {key}", out long suppressed))
            {
                string shown = key.StartsWith("client:", StringComparison.Ordinal) ? "client:" + AuditRedaction.ClientId(key["client:".Length..]) : key;
                await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AppRateLimited, Tessera.Audit.AuditOutcomes.Denied, $"app auth rate limited | key={shown}{AuditThrottle.Suffix(suppressed)}"), cancellationToken: context.RequestAborted);
            }

            await new ProblemResult(ErrorCatalog.RateLimited, "rate limit exceeded, try again later", $"wait {seconds} second(s) before retrying").ExecuteAsync(context);
            return;
        }

        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var request = body.Value!;
        if (string.IsNullOrEmpty(request.ClientId) || string.IsNullOrEmpty(request.ClientSecret))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "client_id and client_secret are required").ExecuteAsync(context);
            return;
        }

        var secrets = services.GetRequiredService<ClientSecrets>();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var client = request.ClientId.Length <= 128 ? await services.GetRequiredService<IClientStore>().FindByClientIdAsync(request.ClientId, context.RequestAborted) : null;

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
                    cancellationToken: context.RequestAborted);
            }

            await new ProblemResult(ErrorCatalog.Unauthorized, "Authentication failed", "check the client_id and client_secret; a deregistered app cannot authenticate").ExecuteAsync(context);
            return;
        }

        var tokens = services.GetRequiredService<TokenService>();
        int ttl = tokens.ClampToCeiling(client.TokenTtl);
        var (token, claims) = tokens.Issue($"app:{client.EntityId}", [tokens.Issuer], AppScopes, ttl, clientId: client.ClientId, appId: client.EntityId);
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.AppAuthenticated, Tessera.Audit.AuditOutcomes.Success, $"app authenticated | app_id={client.EntityId} | jti={claims.JwtId}"),
            cancellationToken: context.RequestAborted);
        await Results.Json(new AppAuthResponse(token, ttl, "Bearer", AppScopes), BrokerJson.Default.AppAuthResponse).ExecuteAsync(context);
    }

    private static async Task CreateLaunchTokenAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var claims = context.BearerClaims();

        var app = claims.AppId is { } appId ? await services.GetRequiredService<IClientStore>().FindByEntityIdAsync(appId, context.RequestAborted) : null;
        if (app is null || app.Status != Tessera.Identity.ClientStatuses.Active)
        {
            await new ProblemResult(ErrorCatalog.InsufficientScope, "app not found or deregistered").ExecuteAsync(context);
            return;
        }

        await AdminEndpoints.IssueLaunchTokenAsync(context, claims.Subject, app.EntityId, ScopeSet.Of([.. app.Scopes]));
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
