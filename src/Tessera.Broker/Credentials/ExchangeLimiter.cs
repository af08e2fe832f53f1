using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Errors;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The credential endpoints' rate limits, one token bucket per key at each level: client address
/// (before any credential is looked at), endpoint (all callers), agent and platform (once known).
/// Built on the framework's <see cref="PartitionedRateLimiter"/>.
/// </summary>
internal sealed class ExchangeLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _address;
    private readonly PartitionedRateLimiter<string> _endpoint;
    private readonly PartitionedRateLimiter<string> _agent;
    private readonly PartitionedRateLimiter<string> _platform;
    private readonly PartitionedRateLimiter<string> _renewal;

    public ExchangeLimiter(IOptions<BrokerOptions> options)
    {
        var o = options.Value;
        _address = Create(o.TokenAddressRate, o.TokenAddressBurst);
        _endpoint = Create(o.EndpointRate, o.EndpointBurst);
        _agent = Create(o.AgentRate, o.AgentBurst);
        _platform = Create(o.PlatformRate, o.PlatformBurst);
        // One token every (a minute / rate), so the rate holds evenly rather than as one refill a minute.
        _renewal = Create(1, o.RenewBurst, TimeSpan.FromMinutes(1) / o.RenewRate);
    }

    /// <summary>Address, then endpoint. Null when allowed; otherwise the code and seconds to wait.</summary>
    public Limited? CheckRequest(string address, string endpoint) =>
        Take(_address, address, ErrorCatalog.RateLimitedAddress) ?? Take(_endpoint, endpoint, ErrorCatalog.RateLimitedEndpoint);

    /// <summary>The agent's own budget.</summary>
    public Limited? CheckAgent(string agentId) => Take(_agent, agentId, ErrorCatalog.RateLimitedAgent);

    /// <summary>
    /// The agent's renewal budget (<c>TESSERA_RENEW_RATE</c> per minute). Every renewal puts the
    /// predecessor on the revocation feed that every verifier downloads and keeps, so renewals are
    /// what bounds the feed's live set.
    /// </summary>
    public Limited? CheckRenewal(string agentId) => Take(_renewal, agentId, ErrorCatalog.RateLimited);

    /// <summary>The platform's budget, all agents together.</summary>
    public Limited? CheckPlatform(string platformId) => Take(_platform, platformId, ErrorCatalog.RateLimitedPlatform);

    public void Dispose()
    {
        _address.Dispose();
        _endpoint.Dispose();
        _agent.Dispose();
        _platform.Dispose();
        _renewal.Dispose();
    }

    private static Limited? Take(PartitionedRateLimiter<string> limiter, string key, ErrorDescriptor code)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        int seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 1;
        return new Limited(code, seconds);
    }

    private static PartitionedRateLimiter<string> Create(int perPeriod, int burst, TimeSpan? period = null) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period ?? TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}

/// <summary>A rate-limit refusal: which level, and how long to wait.</summary>
internal sealed record Limited(ErrorDescriptor Error, int RetryAfterSeconds);
