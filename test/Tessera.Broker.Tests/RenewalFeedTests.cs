using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// Issue 17, finding 8: renewals are rate limited per agent, so the feed's live set stays bounded.
/// Issue 18, finding 4 (broker half): a renewed or released token's entry outlives its exp by the
/// verifiers' leeway, so the token cannot work again in the seconds after it expires.
/// </summary>
public sealed class RenewalFeedTests
{
    private static async Task<List<JsonObject>> LiveEntriesAsync(HttpClient feed)
    {
        var page = JsonNode.Parse(await feed.GetStringAsync("/v1/revocations?since=0&limit=1000"))!.AsObject();
        return [.. page["entries"]!.AsArray().Select(e => e!.AsObject())];
    }

    [Fact]
    public async Task Renew_Returns429RateLimitedWithRetryAfter_AfterTheAgentsBurst_AndTheFeedStaysBounded()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["renew_rate"] = "1", ["renew_burst"] = "3" });
        using var feed = await broker.FeedClientAsync();
        var agent = await broker.RegisterAgentAsync();
        var other = await broker.RegisterAgentAsync(taskId: "task-other");
        string token = agent.Token;
        int renewed = 0;
        HttpResponseMessage? refused = null;

        // An agent renewing in a loop, as in the report (11,417 renewals in 10 s).
        for (int i = 0; i < 50; i++)
        {
            var response = await broker.PostWithBearerAsync("/v1/token/renew", token);
            if ((int)response.StatusCode == 429)
            {
                refused ??= response;
                continue;
            }

            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            token = JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
            renewed++;
        }

        Assert.Equal(3, renewed);
        Assert.NotNull(refused);
        var problem = await AssertProblemCode(refused, 429, "rate_limited");
        Assert.Equal("too many renewals for this agent", problem["detail"]!.GetValue<string>());
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture) >= 1);
        Assert.True(await broker.IsValidAsync(token));

        // One entry per successful renewal (its predecessor), not one per attempt.
        Assert.Equal(3, (await LiveEntriesAsync(feed)).Count(e => e["level"]!.GetValue<string>() == "token"));

        // The budget is the agent's own: another agent renews at once.
        Assert.Equal(200, (int)(await broker.PostWithBearerAsync("/v1/token/renew", other.Token)).StatusCode);
    }

    [Fact]
    public async Task Validate_RefusesTheRenewedToken_AndTheFeedListsIt_AfterItsExpWithinTheLeeway()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        var agent = await broker.RegisterAgentAsync(ttl: 60);
        long exp = Jwt.Payload(agent.Token)["exp"]!.GetValue<long>();
        var renew = await broker.PostWithBearerAsync("/v1/token/renew", agent.Token);
        Assert.Equal(200, (int)renew.StatusCode);

        // 30 s past exp: inside the 30 s leeway verifiers apply, and the broker's default of 60 s.
        broker.Time.Advance(TimeSpan.FromSeconds(exp - broker.Time.GetUtcNow().ToUnixTimeSeconds() + 30));

        Assert.False(await broker.IsValidAsync(agent.Token));
        var entry = Assert.Single(await LiveEntriesAsync(feed), e => e["target"]!.GetValue<string>() == BrokerApi.Jti(agent.Token));
        var expiresAt = DateTimeOffset.Parse(entry["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.Equal(exp + 60, expiresAt.ToUnixTimeSeconds());

        // Past exp + leeway the entry leaves the feed: no verifier accepts the token any more.
        broker.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.DoesNotContain(await LiveEntriesAsync(feed), e => e["target"]!.GetValue<string>() == BrokerApi.Jti(agent.Token));
    }

    [Fact]
    public async Task Release_KeepsTheEntryOnTheFeed_UntilExpPlusTheLeeway()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["revocation_entry_leeway"] = "45" });
        using var feed = await broker.FeedClientAsync();
        var agent = await broker.RegisterAgentAsync(ttl: 60);
        long exp = Jwt.Payload(agent.Token)["exp"]!.GetValue<long>();
        Assert.Equal(204, (int)(await broker.PostWithBearerAsync("/v1/token/release", agent.Token)).StatusCode);

        broker.Time.Advance(TimeSpan.FromSeconds(exp - broker.Time.GetUtcNow().ToUnixTimeSeconds() + 40));

        Assert.False(await broker.IsValidAsync(agent.Token));
        var entry = Assert.Single(await LiveEntriesAsync(feed));
        Assert.Equal("released", entry["reason"]!.GetValue<string>());
        Assert.Equal(exp + 45, DateTimeOffset.Parse(entry["expires_at"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Metadata_PublishesTheRevocationEntryLeeway()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["revocation_entry_leeway"] = "90" });

        var metadata = JsonNode.Parse(await broker.Client.GetStringAsync("/.well-known/tessera-configuration"))!.AsObject();

        Assert.Equal(90, metadata["revocation_entry_leeway_seconds"]!.GetValue<int>());
        Assert.True(metadata["revocation_feed_requires_authentication"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("revocation_entry_leeway", "29", "TESSERA_REVOCATION_ENTRY_LEEWAY must be between 30 and 3600 seconds (at least the verifiers' clock leeway)")]
    [InlineData("renew_rate", "0", "TESSERA_RENEW_RATE and TESSERA_RENEW_BURST must be positive")]
    [InlineData("revocation_streams_per_address", "0", "TESSERA_REVOCATION_STREAMS_PER_ADDRESS and TESSERA_REVOCATION_STREAMS_MAX must be positive")]
    [InlineData("revocation_streams_max", "9000", "TESSERA_REVOCATION_STREAMS_MAX must be below TESSERA_MAX_CONNECTIONS, so streams cannot take every connection")]
    public async Task Start_FailsNamingTheSetting_WhenAFeedSettingIsOutOfRange(string key, string value, string message)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => BrokerFixture.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Equal(message, error.Message);
    }
}
