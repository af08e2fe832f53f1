using Microsoft.Extensions.Options;
using Tessera.Identity;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Scopes;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;
using Tessera.Tokens;

namespace Tessera.Broker.Credentials;

/// <summary>The result of an exchange: a token, or the refusal.</summary>
internal sealed record ExchangeResult(
    string? Token, AccessTokenClaims? Claims, int ExpiresIn, PlatformRecord? Platform,
    ErrorDescriptor? Error, string Detail, int RetryAfterSeconds = 0)
{
    public static ExchangeResult Fail(ErrorDescriptor error, string detail, int retryAfter = 0) => new(null, null, 0, null, error, detail, retryAfter);
}

/// <summary>
/// Agent credential → platform-bound token: the one code path behind <c>POST /v1/token</c> and
/// every compatible endpoint. The agent must be active, hold a grant on the platform, and ask only
/// for scopes the grant covers (nothing asked = the whole grant); the token's audience is that
/// platform alone.
/// </summary>
internal sealed class CredentialExchange(
    IPlatformStore platforms, IClientStore clients, TokenService tokens, ExchangeLimiter limiter, AuditLog audit, Metrics.BrokerMetrics metrics,
    IOptions<BrokerOptions> options, TimeProvider time)
{
    public const string AgentKind = "agent";

    /// <summary>Refuses a suspended or revoked agent (or a client that is not an agent).</summary>
    public static ExchangeResult? CheckStatus(ClientRecord agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return agent.Kind != AgentKind ? ExchangeResult.Fail(ErrorCatalog.InvalidClient, "client authentication failed")
            : agent.Status == AgentStatuses.Revoked ? ExchangeResult.Fail(ErrorCatalog.AgentRevoked, "agent has been revoked")
            : agent.Status == AgentStatuses.Suspended ? ExchangeResult.Fail(ErrorCatalog.AgentSuspended, $"agent is suspended: {agent.StatusReason}")
            : agent.Status != AgentStatuses.Active ? ExchangeResult.Fail(ErrorCatalog.InvalidClient, "client authentication failed")
            : null;
    }

    public async Task<ExchangeResult> ExchangeAsync(ClientRecord agent, string? resource, string? scope, string method, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var result = await DecideAsync(agent, resource, scope, cancellationToken);
        string resourceText = Printable(resource);
        if (result.Error is { } error)
        {
            await audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, AuditOutcomes.Denied, $"token exchange refused | code={error.Code} | {result.Detail} | key_id={agent.ClientId} | resource={resourceText} | method={method}", agent.EntityId, resource: result.Platform?.PlatformId),
                cancellationToken: cancellationToken);
            return result;
        }

        var claims = result.Claims!;
        metrics.TokenIssued(claims.Scope);
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenExchanged, AuditOutcomes.Success, $"token exchanged | platform_id={result.Platform!.PlatformId} | jti={claims.JwtId} | scope={string.Join(' ', claims.Scope)} | ttl={result.ExpiresIn} | key_id={agent.ClientId} | method={method}", agent.EntityId, resource: result.Platform.PlatformId),
            cancellationToken: cancellationToken);
        return result;
    }

    private async Task<ExchangeResult> DecideAsync(ClientRecord agent, string? resource, string? scope, CancellationToken cancellationToken)
    {
        if (CheckStatus(agent) is { } refused)
        {
            return refused;
        }

        if (limiter.CheckAgent(agent.EntityId) is { } agentLimited)
        {
            return ExchangeResult.Fail(agentLimited.Error, "too many token requests for this agent", agentLimited.RetryAfterSeconds);
        }

        var (platform, grant, targetFailure) = await ResolveAsync(agent.EntityId, resource, cancellationToken);
        if (targetFailure is not null)
        {
            return targetFailure with { Platform = platform };
        }

        if (limiter.CheckPlatform(platform!.PlatformId) is { } platformLimited)
        {
            return new ExchangeResult(null, null, 0, platform, platformLimited.Error, "too many token requests for this platform", platformLimited.RetryAfterSeconds);
        }

        if (!ScopeSet.TryParse(grant!.Scopes, out var granted, out _))
        {
            granted = ScopeSet.Empty;
        }

        if (!ScopeSet.TryParseSpaceDelimited(scope, out var requested, out string? scopeError))
        {
            return new ExchangeResult(null, null, 0, platform, ErrorCatalog.InvalidScopeFormat, scopeError);
        }

        foreach (var s in requested.Items)
        {
            if (!granted.Covers(s))
            {
                return new ExchangeResult(null, null, 0, platform, ErrorCatalog.ScopeNotGranted, $"scope '{s.Value}' is not granted to this agent on platform '{platform.PlatformId}'");
            }
        }

        string[] tokenScope = requested.Count == 0 ? granted.ToArray() : requested.ToArray();
        int ttl = tokens.ClampToCeiling(agent.TokenTtl > 0 ? agent.TokenTtl : options.Value.ExchangeTtl);
        var (token, claims) = tokens.Issue(agent.EntityId, [platform.PlatformId], tokenScope, ttl, clientId: agent.ClientId, profile: platform.TokenProfile);

        // The status was read before the token was issued. A suspension or revocation committed in
        // between takes its agent entry's revoked_at after that read, possibly before this iat, and
        // the entry would miss the token; read the status again now that iat is fixed: a transition
        // committed after this read takes a later revoked_at, and its entry matches the token.
        if (await clients.FindByEntityIdAsync(agent.EntityId, cancellationToken) is not { } current)
        {
            return ExchangeResult.Fail(ErrorCatalog.InvalidClient, "client authentication failed");
        }

        if (CheckStatus(current) is { } late)
        {
            return late with { Platform = platform };
        }

        return new ExchangeResult(token, claims, (int)(claims.ExpiresAt - claims.IssuedAt), platform, null, "");
    }

    /// <summary>The platform a resource names (its id, or a base URL whose host it serves) and the agent's grant on it.</summary>
    private async Task<(PlatformRecord? Platform, GrantRecord? Grant, ExchangeResult? Failure)> ResolveAsync(string agentId, string? resource, CancellationToken cancellationToken)
    {
        var grants = await platforms.ListGrantsAsync(agentId, cancellationToken);
        if (string.IsNullOrEmpty(resource))
        {
            if (grants.Count != 1)
            {
                return (null, null, ExchangeResult.Fail(ErrorCatalog.InvalidTarget, grants.Count == 0 ? "the agent holds no grant on any platform" : "resource is required: the agent is granted on several platforms"));
            }

            var only = await platforms.FindAsync(grants[0].PlatformId, cancellationToken);
            return only is null ? (null, null, ExchangeResult.Fail(ErrorCatalog.InvalidTarget, "the granted platform no longer exists")) : (only, grants[0], null);
        }

        PlatformRecord? platform;
        if (resource.Length > 2048)
        {
            return (null, null, ExchangeResult.Fail(ErrorCatalog.InvalidTarget, "resource is too long"));
        }

        if (resource.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.Fragment))
            {
                return (null, null, ExchangeResult.Fail(ErrorCatalog.InvalidTarget, "resource must be a platform id or an absolute http(s) URL without fragment"));
            }

            platform = await FindByHostAsync(uri.IdnHost.ToLowerInvariant(), grants, cancellationToken);
        }
        else
        {
            platform = await platforms.FindAsync(resource, cancellationToken);
        }

        if (platform is null)
        {
            return (null, null, ExchangeResult.Fail(ErrorCatalog.InvalidTarget, $"resource '{Printable(resource)}' is not a registered platform"));
        }

        var grant = grants.FirstOrDefault(g => g.PlatformId == platform.PlatformId);
        return grant is null
            ? (platform, null, new ExchangeResult(null, null, 0, platform, ErrorCatalog.PlatformNotGranted, $"the agent holds no grant on platform '{platform.PlatformId}'"))
            : (platform, grant, null);
    }

    private async Task<PlatformRecord?> FindByHostAsync(string host, IReadOnlyList<GrantRecord> grants, CancellationToken cancellationToken)
    {
        // The agent's own platforms first (a host served by two platforms resolves to the granted one).
        foreach (var grant in grants)
        {
            var p = await platforms.FindAsync(grant.PlatformId, cancellationToken);
            if (p is not null && p.Hostnames.Contains(host))
            {
                return p;
            }
        }

        foreach (var p in await platforms.ListAsync(cancellationToken))
        {
            if (p.Hostnames.Contains(host))
            {
                return p;
            }
        }

        return null;
    }

    private static string Printable(string? value) =>
        value is null ? "" : new([.. value.Take(128).Select(c => c is >= ' ' and < (char)127 and not '|' ? c : '?')]);
}
