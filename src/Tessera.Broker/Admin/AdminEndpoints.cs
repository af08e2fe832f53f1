using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;
using Tessera.Errors;

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
        app.MapPost("/v1/admin/auth", AuthenticateAsync)
            .RequireRateLimiting(AdminAuthRateLimitPolicy)
            .AllowAnonymous()
            .WithTags("Admin")
            .WithName("adminAuth")
            .WithSummary("Exchange the admin secret for an admin token")
            .WithDescription("Verifies the admin secret against its bcrypt hash and answers an admin token (sub admin, aud the broker's issuer, every admin scope) valid for admin_token_ttl seconds. The legacy client_id/client_secret body is refused with a migration message.")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.Unauthorized);
        app.MapPost("/v1/admin/launch-tokens", CreateLaunchTokenAsync)
            .RequireAuthorization(BrokerPolicies.Scope("admin:launch-tokens:*"))
            .WithTags("Admin")
            .WithName("createLaunchToken")
            .WithSummary("Create a launch token")
            .WithDescription("Creates a launch token that an agent presents (once, by default) to POST /v1/register, with the scopes, audiences and token lifetime the agent may get. Only its hash is stored. Requires a genuine admin token; the token is authenticated before the body is read. Refusals are audited.")
            .ProducesErrors(ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl);
    }

    private static async Task<Results<Ok<AdminAuthResponse>, ProblemResult>> AuthenticateAsync(
        RequestBody<AdminAuthRequest> body, HttpContext context, IOptions<BrokerOptions> options, TimeProvider time, AuditLog audit,
        AdminSecretVerifier verifier, Metrics.BrokerMetrics metrics, TokenService tokens, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (AdminAuthValidation.Check(request) is { } failure)
        {
            return failure.ToResult();
        }

        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!verifier.Verify(request.Secret!))
        {
            metrics.AdminAuth.WithLabels("failure").Inc();
            await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AdminAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"admin authentication failed | remote={remote}"), cancellationToken: cancellationToken);
            return new ProblemResult(ErrorCatalog.Unauthorized, "invalid credentials", "check the admin secret");
        }

        metrics.AdminAuth.WithLabels("success").Inc();
        int ttl = options.Value.AdminTokenTtl;
        var (token, claims) = tokens.Issue("admin", [tokens.Issuer], AdminScopes, ttl, clientId: "admin");
        await audit.RecordAsync(AuditDraft.Of(time, AuditEventTypes.AdminAuth, Tessera.Audit.AuditOutcomes.Success, $"admin authenticated | jti={claims.JwtId} | remote={remote}"), cancellationToken: cancellationToken);
        return TypedResults.Ok(new AdminAuthResponse(token, ttl, "Bearer"));
    }

    private static async Task<Results<Created<LaunchTokenResponse>, ProblemResult>> CreateLaunchTokenAsync(
        LaunchTokenBody body, HttpContext context, [AsParameters] LaunchTokenIssuer issuer, CancellationToken cancellationToken)
    {
        var (response, failure) = await issuer.IssueAsync(body, context.BearerClaims().Subject, appId: "", ceiling: null, cancellationToken);
        return response is null ? failure!.ToResult() : TypedResults.Created((string?)null, response);
    }
}
