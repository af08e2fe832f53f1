using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.LaunchTokens;

namespace Tessera.Broker.Admin;

/// <summary>
/// Creates launch tokens for the admin route and the app route alike: same request, same response.
/// Checks the request (<see cref="LaunchTokenValidation"/>), stores the token's hash, counts and
/// audits it; a refusal is audited too. Bound from DI as the handlers' <c>[AsParameters]</c> argument.
/// </summary>
/// <param name="Store">The launch token store.</param>
/// <param name="Audit">The audit log.</param>
/// <param name="Time">The clock.</param>
/// <param name="Metrics">The broker's metrics.</param>
/// <param name="Options">The broker's options (lifetime limits).</param>
internal sealed record LaunchTokenIssuer(ILaunchTokenStore Store, AuditLog Audit, TimeProvider Time, Metrics.BrokerMetrics Metrics, IOptions<BrokerOptions> Options)
{
    /// <summary>
    /// Issues a launch token for <paramref name="body"/>. An app's request (<paramref name="appId"/> not
    /// empty) must stay within its <paramref name="ceiling"/>, and the token records the app.
    /// </summary>
    public async Task<(LaunchTokenResponse? Response, Failure? Failure)> IssueAsync(LaunchTokenBody body, string createdBy, string appId, ScopeSet? ceiling, CancellationToken cancellationToken)
    {
        Failure? failure = body.Failure;
        LaunchTokenFields? fields = null;
        if (failure is null)
        {
            fields = LaunchTokenValidation.Check(body.Value!, Options.Value);
            failure = fields.Failure;
        }

        if (failure is null && ceiling is not null)
        {
            failure = LaunchTokenValidation.CheckCeiling(fields!.AllowedScope, ceiling);
        }

        var appSuffix = appId.Length > 0 ? AuditFragment.Of($" | app_id={appId}") : AuditFragment.Empty;
        if (failure is not null)
        {
            await Audit.RecordAsync(AuditDraft.Of(Time, AuditEventTypes.LaunchTokenDenied, Tessera.Audit.AuditOutcomes.Denied, failure.Detail + appSuffix.Text), cancellationToken: cancellationToken);
            return (null, failure);
        }

        // The launch token is 32 random bytes; only its SHA-256 is stored.
        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = Time.GetUtcNow();
        var expires = now.AddSeconds(fields!.Ttl);
        var record = new LaunchTokenRecord
        {
            TokenHash = LaunchTokenHash.Of(token),
            AgentName = fields.AgentName,
            AllowedScope = fields.AllowedScope,
            AllowedAudience = fields.AllowedAudience,
            MaxTtl = fields.MaxTtl,
            SingleUse = fields.SingleUse,
            CreatedBy = createdBy,
            CreatedAtMs = now.ToUnixTimeMilliseconds(),
            ExpiresAtMs = expires.ToUnixTimeMilliseconds(),
            AppId = appId,
        };
        await Store.CreateAsync(record, cancellationToken);
        Metrics.LaunchTokensCreated.Inc();
        await Audit.RecordAsync(
            AuditDraft.Of(Time, AuditEventTypes.LaunchTokenIssued, Tessera.Audit.AuditOutcomes.Success,
                $"launch token issued | agent_name={record.AgentName} | scope={string.Join(',', record.AllowedScope)} | max_ttl={record.MaxTtl} | single_use={record.SingleUse}{appSuffix}"),
            cancellationToken: cancellationToken);
        return (new LaunchTokenResponse(
            token,
            Tessera.Time.Timestamps.Rfc3339(expires),
            new LaunchTokenPolicy([.. fields.AllowedScope], fields.MaxTtl, [.. fields.AllowedAudience]),
            record.SingleUse), null);
    }
}
