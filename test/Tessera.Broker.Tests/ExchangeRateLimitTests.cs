using System.Net.Http.Json;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// The credential endpoints' four rate-limit levels, each with tiny limits (1 per second, burst 1)
/// set through configuration: every level answers 429 with its own error_code and an integer
/// Retry-After, and the request succeeds again once that wait is over. The limiters run on real
/// time, so each test waits about a second.
/// </summary>
public sealed class ExchangeRateLimitTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Token_Returns429RateLimitedAgent_PerAgent_UntilRetryAfterHasPassed()
    {
        await using var broker = await StartAsync("agent");
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);
        var peer = await broker.CreateAgentOkAsync(adminToken: admin);
        await broker.GrantOkAsync(peer.KeyId, platform.PlatformId, ["read:orders:*"], admin);

        await broker.ExchangeOkAsync(agent, platform.PlatformId);
        var limited = await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId);
        await broker.ExchangeOkAsync(peer, platform.PlatformId);

        int wait = await AssertLimitedAsync(limited, "rate_limited_agent");
        Assert.Contains(await broker.AuditAsync("token_exchange_failed", agent.AgentId, admin), e => e["detail"]!.GetValue<string>().Contains("code=rate_limited_agent", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(wait) + Margin);
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
    }

    [Fact]
    public async Task Token_Returns429RateLimitedPlatform_AcrossAgentsOfOnePlatform_UntilRetryAfterHasPassed()
    {
        await using var broker = await StartAsync("platform");
        string admin = await broker.AdminTokenAsync();
        var (platform, first) = await broker.PlatformWithAgentAsync(adminToken: admin);
        var second = await broker.CreateAgentOkAsync(adminToken: admin);
        await broker.GrantOkAsync(second.KeyId, platform.PlatformId, ["read:orders:*"], admin);
        var (otherPlatform, elsewhere) = await broker.PlatformWithAgentAsync(adminToken: admin);

        await broker.ExchangeOkAsync(first, platform.PlatformId);
        var limited = await broker.ExchangeAsync(second.KeyId, second.Secret!, platform.PlatformId);
        await broker.ExchangeOkAsync(elsewhere, otherPlatform.PlatformId);

        int wait = await AssertLimitedAsync(limited, "rate_limited_platform");
        await Task.Delay(TimeSpan.FromSeconds(wait) + Margin);
        await broker.ExchangeOkAsync(second, platform.PlatformId);
    }

    [Fact]
    public async Task Token_Returns429RateLimitedEndpoint_ForAllCallers_UntilRetryAfterHasPassed()
    {
        await using var broker = await StartAsync("endpoint");
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        // The endpoint budget is spent before any credential is looked at, even by a bad request.
        var bad = await broker.ExchangeAsync(agent.KeyId, "wrong", platform.PlatformId);
        var limited = await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId);
        var discovery = await broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret });

        Assert.Equal(401, (int)bad.StatusCode);
        int wait = await AssertLimitedAsync(limited, "rate_limited_endpoint");
        Assert.Equal(200, (int)discovery.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(wait) + Margin);
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
    }

    [Fact]
    public async Task CredentialEndpoints_Return429RateLimitedAddress_PerClientAddress_UntilRetryAfterHasPassed()
    {
        await using var broker = await StartAsync("token_address");
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        await broker.ExchangeOkAsync(agent, platform.PlatformId);
        var limited = await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId);
        var discovery = await broker.Client.PostAsJsonAsync("/v1/platforms/me", new { key_id = agent.KeyId, secret = agent.Secret });
        var report = await broker.ReportAsync(platform, Events(Allowed(agent.AgentId)));

        int wait = await AssertLimitedAsync(limited, "rate_limited_address");
        var problem = await AssertProblemCode(discovery, 429, "rate_limited_address");
        Assert.Matches("^[0-9]+$", Assert.Single(discovery.Headers.GetValues("Retry-After")));
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        await AssertProblemCode(report, 429, "rate_limited_address");
        Assert.Matches("^[0-9]+$", Assert.Single(report.Headers.GetValues("Retry-After")));
        Assert.Contains(await broker.AuditAsync("rate_limited", adminToken: admin), e => e["detail"]!.GetValue<string>().Contains("code=rate_limited_address", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(wait) + Margin);
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
    }

    /// <summary>A broker whose <paramref name="level"/> limit is 1 per second with a burst of 1 (the others lifted).</summary>
    private static Task<BrokerFixture> StartAsync(string level)
    {
        var settings = NoExchangeLimits;
        settings[$"{level}_rate"] = "1";
        settings[$"{level}_burst"] = "1";
        return BrokerFixture.StartAsync(settings);
    }

    /// <summary>Asserts a 429 OAuth error with <paramref name="code"/>; returns the Retry-After seconds.</summary>
    private static async Task<int> AssertLimitedAsync(HttpResponseMessage response, string code)
    {
        await AssertOAuthError(response, 429, "temporarily_unavailable", code);
        string retryAfter = Assert.Single(response.Headers.GetValues("Retry-After"));
        Assert.Matches("^[0-9]+$", retryAfter);
        int seconds = int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 2);
        return seconds;
    }
}
