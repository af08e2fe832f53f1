using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Credentials;
using Tessera.Broker.Http;
using Tessera.Broker.Platforms;
using Tessera.Errors;

namespace Tessera.Broker.Enforcement;

/// <summary>
/// Who may send enforcement reports: a registered, active platform with its own client credentials in
/// HTTP Basic, checked after the per-address and per-endpoint limiter of the credential endpoints.
/// </summary>
internal static class EnforcementAccess
{
    /// <summary>The reporting platform, or how to refuse (written by the scheme's challenge).</summary>
    public static async Task<CredentialCheck> DecideAsync(HttpContext context)
    {
        var sp = context.RequestServices;
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, "enforcement") is { } limited)
        {
            return CredentialCheck.Refuse(c =>
            {
                c.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return new ProblemResult(limited.Error, "rate limit exceeded, try again later").ExecuteAsync(c);
            });
        }

        var auth = await sp.GetRequiredService<ClientAuthenticator>().AuthenticateBasicAsync(context, PlatformAdminEndpoints.Kind);
        if (auth.Client is { Status: Tessera.Identity.ClientStatuses.Active } platformClient)
        {
            return CredentialCheck.Allow(platformClient.EntityId["platform:".Length..]);
        }

        return CredentialCheck.Refuse(async c =>
        {
            await sp.GetRequiredService<AuditLog>().RecordAsync(
                AuditDraft.Of(sp.GetRequiredService<TimeProvider>(), AuditEventTypes.TokenAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"enforcement report refused | {auth.Detail}"),
                cancellationToken: c.RequestAborted);
            await new ProblemResult(auth.Error ?? ErrorCatalog.InvalidClient, auth.Error is null ? "platform is removed" : auth.Detail, "send the platform's client_id and client_secret with HTTP Basic", "Basic realm=\"tessera\"").ExecuteAsync(c);
        });
    }
}
