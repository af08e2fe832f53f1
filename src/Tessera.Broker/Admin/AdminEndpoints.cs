using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Broker.Admin;

/// <summary><c>POST /v1/admin/auth</c> and <c>POST /v1/admin/launch-tokens</c>.</summary>
internal static class AdminEndpoints
{
    /// <summary>The scopes every admin token carries.</summary>
    public static readonly string[] AdminScopes = ["admin:launch-tokens:*", "admin:revoke:*", "admin:audit:*", "admin:keys:*", "admin:apps:*", "admin:platforms:*", "admin:agents:*"];

    public const string AdminAuthRateLimitPolicy = "admin-auth";

    public static void Map(IEndpointRouteBuilder app)
    {
        // The admin secret in the body is the credential: this endpoint is where an admin token comes from.
        app.MapPost("/v1/admin/auth", AuthenticateAsync).RequireRateLimiting(AdminAuthRateLimitPolicy).AllowAnonymous();
        app.MapPost("/v1/admin/launch-tokens", CreateLaunchTokenAsync).RequireAuthorization(BrokerPolicies.Scope("admin:launch-tokens:*"));
    }

    private static async Task AuthenticateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();

        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.AdminAuthRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var request = body.Value!;
        if (request.Secret is null && (request.ClientId is not null || request.ClientSecret is not null))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "Admin auth format changed. Use {\"secret\": \"...\"} instead of client_id/client_secret").ExecuteAsync(context);
            return;
        }

        if (string.IsNullOrEmpty(request.Secret))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "secret is required").ExecuteAsync(context);
            return;
        }

        var verifier = services.GetRequiredService<AdminSecretVerifier>();
        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var metrics = services.GetRequiredService<Metrics.BrokerMetrics>();
        if (!verifier.Verify(request.Secret))
        {
            metrics.AdminAuth.WithLabels("failure").Inc();
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AdminAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"admin authentication failed | remote={remote}"), cancellationToken: context.RequestAborted);
            await new ProblemResult(ErrorCatalog.Unauthorized, "invalid credentials", "check the admin secret").ExecuteAsync(context);
            return;
        }

        metrics.AdminAuth.WithLabels("success").Inc();
        var tokens = services.GetRequiredService<TokenService>();
        var (token, claims) = tokens.Issue("admin", [tokens.Issuer], AdminScopes, options.AdminTokenTtl, clientId: "admin");
        await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AdminAuth, Tessera.Audit.AuditOutcomes.Success, $"admin authenticated | jti={claims.JwtId} | remote={remote}"), cancellationToken: context.RequestAborted);
        await Results.Json(new AdminAuthResponse(token, options.AdminTokenTtl, "Bearer"), BrokerJson.Default.AdminAuthResponse).ExecuteAsync(context);
    }

    private static async Task CreateLaunchTokenAsync(HttpContext context)
    {
        await IssueLaunchTokenAsync(context, context.BearerClaims().Subject, appId: "", ceiling: null);
    }

    /// <summary>
    /// Creates a launch token for the admin route and the app route alike: same request, same
    /// response. An app's request must stay within its ceiling, and the token records the app.
    /// </summary>
    internal static async Task IssueLaunchTokenAsync(HttpContext context, string createdBy, string appId, ScopeSet? ceiling)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.LaunchTokenRequest, options.MaxBodyBytes);
        Failure? failure = body.Failure;
        LaunchTokenResponse? response = null;
        LaunchTokenRecord? record = null;
        if (failure is null)
        {
            (record, response, failure) = Build(body.Value!, options, time, createdBy);
        }

        if (failure is null && ceiling is not null && ScopeSet.Of([.. record!.AllowedScope]) is var requested && ceiling.FirstUncovered(requested) is { } outside)
        {
            failure = new Failure(
                ErrorCatalog.ScopeViolation,
                $"requested scopes exceed app ceiling; allowed: [{string.Join(" ", ceiling.ToArray())}]",
                $"'{outside.Value}' is outside the app's scope ceiling");
        }

        if (record is not null)
        {
            record = record with { AppId = appId };
        }

        var appSuffix = appId.Length > 0 ? AuditFragment.Of($" | app_id={appId}") : AuditFragment.Empty;
        if (failure is not null)
        {
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.LaunchTokenDenied, Tessera.Audit.AuditOutcomes.Denied, failure.Detail + appSuffix.Text), cancellationToken: context.RequestAborted);
            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        await services.GetRequiredService<ILaunchTokenStore>().CreateAsync(record!, context.RequestAborted);
        services.GetRequiredService<Metrics.BrokerMetrics>().LaunchTokensCreated.Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.LaunchTokenIssued, Tessera.Audit.AuditOutcomes.Success,
                $"launch token issued | agent_name={record!.AgentName} | scope={string.Join(',', record.AllowedScope)} | max_ttl={record.MaxTtl} | single_use={record.SingleUse}{appSuffix}"),
            cancellationToken: context.RequestAborted);
        await Results.Json(response!, BrokerJson.Default.LaunchTokenResponse, statusCode: StatusCodes.Status201Created).ExecuteAsync(context);
    }

    private static (LaunchTokenRecord?, LaunchTokenResponse?, Failure?) Build(LaunchTokenRequest request, BrokerOptions options, TimeProvider time, string createdBy)
    {
        if (string.IsNullOrWhiteSpace(request.AgentName))
        {
            return (null, null, new Failure(ErrorCatalog.InvalidRequest, "agent_name is required"));
        }

        if (!PrintableName.IsValid(request.AgentName, 128))
        {
            return (null, null, new Failure(ErrorCatalog.InvalidRequest, $"agent_name must be at most 128 printable characters ({PrintableName.Rule})"));
        }

        if (request.AllowedScope is null || request.AllowedScope.Length == 0)
        {
            return (null, null, new Failure(ErrorCatalog.InvalidRequest, "allowed_scope must not be empty"));
        }

        if (!ScopeSet.TryParse(request.AllowedScope, out var scopes, out string? scopeError))
        {
            return (null, null, new Failure(ErrorCatalog.InvalidScopeFormat, scopeError));
        }

        foreach (var scope in scopes.Items)
        {
            if (scope.Value.StartsWith("admin:", StringComparison.Ordinal))
            {
                return (null, null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the admin: namespace, which is reserved for the broker's own admin tokens"));
            }

            if (scope.Value.StartsWith("app:", StringComparison.Ordinal))
            {
                return (null, null, new Failure(ErrorCatalog.InvalidScopeFormat, $"scope '{scope.Value}' is in the app: namespace, which is reserved for app tokens"));
            }
        }

        int maxTtl = request.MaxTtl ?? options.DefaultTtl;
        if (maxTtl <= 0)
        {
            return (null, null, new Failure(ErrorCatalog.InvalidTtl, "max_ttl must be a positive number of seconds"));
        }

        if (options.MaxTtl > 0 && maxTtl > options.MaxTtl)
        {
            return (null, null, new Failure(ErrorCatalog.InvalidTtl, $"max_ttl exceeds the broker's ceiling of {options.MaxTtl} seconds"));
        }

        int ttl = request.Ttl ?? 30;
        if (ttl is <= 0 or > 7 * 86400)
        {
            return (null, null, new Failure(ErrorCatalog.InvalidTtl, "ttl must be between 1 and 604800 seconds"));
        }

        var audiences = new List<string>();
        foreach (var aud in request.AllowedAudience ?? [])
        {
            if (string.IsNullOrWhiteSpace(aud) || aud.Length > 256 || aud.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                return (null, null, new Failure(ErrorCatalog.InvalidRequest, "allowed_audience entries must be non-empty strings of at most 256 characters without spaces"));
            }

            if (!audiences.Contains(aud, StringComparer.Ordinal))
            {
                audiences.Add(aud);
            }
        }

        // The launch token is 32 random bytes; only its SHA-256 is stored.
        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var expires = now.AddSeconds(ttl);
        var record = new LaunchTokenRecord
        {
            TokenHash = LaunchTokenHash.Of(token),
            AgentName = request.AgentName,
            AllowedScope = scopes.ToArray(),
            AllowedAudience = [.. audiences],
            MaxTtl = maxTtl,
            SingleUse = request.SingleUse ?? true,
            CreatedBy = createdBy,
            CreatedAtMs = now.ToUnixTimeMilliseconds(),
            ExpiresAtMs = expires.ToUnixTimeMilliseconds(),
        };
        var response = new LaunchTokenResponse(
            token,
            Tessera.Time.Timestamps.Rfc3339(expires),
            new LaunchTokenPolicy(scopes.ToArray(), maxTtl, [.. audiences]),
            record.SingleUse);
        return (record, response, null);
    }
}
