using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Credentials;
using Tessera.Broker.Http;
using Tessera.Broker.Platforms;
using Tessera.Errors;

namespace Tessera.Broker.Revocation;

/// <summary>
/// Who may read the revocation feed (<c>GET /v1/revocations</c> and its stream): a registered,
/// active platform with its client credentials in HTTP Basic (as for enforcement reports), or an
/// admin token; anyone when the operator set <c>TESSERA_PUBLIC_REVOCATION_FEED</c>. A stream holds
/// a connection for as long as the client likes, so an anonymous one is a resource anyone can take.
/// </summary>
internal static class RevocationFeedAccess
{
    private const string PlatformPrefix = "platform:";

    /// <summary>
    /// Whether the request may read the feed, and as which platform (null: every platform's events);
    /// when not, how to refuse it (written by the scheme's challenge, <see cref="CredentialCheckAuthenticationHandler"/>).
    /// </summary>
    public static async Task<CredentialCheck> DecideAsync(HttpContext context)
    {
        var sp = context.RequestServices;
        if (sp.GetRequiredService<IOptions<BrokerOptions>>().Value.PublicRevocationFeed)
        {
            return CredentialCheck.Allow();
        }

        // Brute-force protection first, before any credential is looked at: the same per-address
        // and per-endpoint buckets as the other credential endpoints.
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, "revocations") is { } limited)
        {
            return CredentialCheck.Refuse(c =>
            {
                c.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return new ProblemResult(limited.Error, "rate limit exceeded, try again later", $"wait {limited.RetryAfterSeconds} second(s) before retrying").ExecuteAsync(c);
            });
        }

        string? header = context.Request.Headers.Authorization;
        if (Tessera.Tokens.BearerHeader.HasBearerScheme(header))
        {
            var bearer = sp.GetRequiredService<BearerAuthenticator>().Authenticate(context);
            var tokens = sp.GetRequiredService<Tokens.TokenService>();
            if (bearer.Problem is null && bearer.Claims is { Subject: "admin" } admin && admin.Audience.Contains(tokens.Issuer, StringComparer.Ordinal))
            {
                return CredentialCheck.Allow();
            }

            return CredentialCheck.Refuse(c => RefuseAsync(c, ErrorCatalog.InvalidClient, "the revocation feed takes a platform's client credentials or an admin token"));
        }

        var auth = await sp.GetRequiredService<ClientAuthenticator>().AuthenticateBasicAsync(context, PlatformAdminEndpoints.Kind);
        if (auth.Client is { Status: Tessera.Identity.ClientStatuses.Active } client)
        {
            return CredentialCheck.Allow(client.EntityId.StartsWith(PlatformPrefix, StringComparison.Ordinal) ? client.EntityId[PlatformPrefix.Length..] : client.EntityId);
        }

        return CredentialCheck.Refuse(c => RefuseAsync(c, auth.Error ?? ErrorCatalog.InvalidClient, auth.Error is null ? "platform is removed" : auth.Detail));
    }

    private static async Task RefuseAsync(HttpContext context, ErrorDescriptor error, string detail)
    {
        var sp = context.RequestServices;
        var time = sp.GetRequiredService<TimeProvider>();
        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        // One audit event per address per second at most: refusals are cheap to provoke.
        if (sp.GetRequiredService<AuditThrottle>().TryAcquire("feed " + address, out long suppressed))
        {
            await sp.GetRequiredService<AuditLog>().RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenAuthFailed, Tessera.Audit.AuditOutcomes.Denied, $"revocation feed refused | {detail} | address={address}{AuditThrottle.Suffix(suppressed)}"),
                cancellationToken: context.RequestAborted);
        }

        await new ProblemResult(error, detail, "send the platform's client_id and client_secret with HTTP Basic, or an admin token", "Basic realm=\"tessera\"").ExecuteAsync(context);
    }
}
