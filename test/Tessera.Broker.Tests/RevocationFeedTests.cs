using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class RevocationFeedTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static async Task<JsonObject> FeedAsync(HttpClient feed, string query)
    {
        var response = await feed.GetAsync("/v1/revocations?" + query);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static List<JsonObject> Entries(JsonObject page) => page["entries"]!.AsArray().Select(e => e!.AsObject()).ToList();

    [Fact]
    public async Task List_ReturnsEachRevocationOnce_InOrder_WithNextCursor()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        var first = await broker.RevokeOkAsync(admin, "task", "task-one", "first reason");
        var second = await broker.RevokeOkAsync(admin, "agent", "spiffe://tessera.test/agent/o/t/0123456789abcdef");
        await broker.RevokeOkAsync(admin, "task", "task-one");
        var third = await broker.RevokeOkAsync(admin, "chain", "spiffe://tessera.test/agent/o/t/fedcba9876543210");

        var page = await FeedAsync(feed, "since=0");

        var entries = Entries(page);
        Assert.Equal(["task-one", "spiffe://tessera.test/agent/o/t/0123456789abcdef", "spiffe://tessera.test/agent/o/t/fedcba9876543210"], entries.Select(e => e["target"]!.GetValue<string>()));
        Assert.Equal(["task", "agent", "chain"], entries.Select(e => e["level"]!.GetValue<string>()));
        Assert.Equal(
            [first["sequence"]!.GetValue<long>(), second["sequence"]!.GetValue<long>(), third["sequence"]!.GetValue<long>()],
            entries.Select(e => e["seq"]!.GetValue<long>()));
        Assert.Equal(["seq", "level", "target", "reason", "revoked_at", "expires_at"], entries[0].Select(p => p.Key));
        Assert.Equal("first reason", entries[0]["reason"]!.GetValue<string>());
        Assert.Equal("revoked by operator", entries[1]["reason"]!.GetValue<string>());
        var revokedAt = DateTimeOffset.Parse(entries[0]["revoked_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var expiresAt = DateTimeOffset.Parse(entries[0]["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        // Until every token it can match has expired (the 86400 s ceiling), plus the 60 s entry leeway.
        Assert.Equal(TimeSpan.FromSeconds(86400 + 60), expiresAt - revokedAt);
        Assert.Equal(third["sequence"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture), page["next_cursor"]!.GetValue<string>());
        Assert.False(page["has_more"]!.GetValue<bool>());

        var after = await FeedAsync(feed, "since=" + page["next_cursor"]!.GetValue<string>());
        Assert.Empty(Entries(after));
        Assert.Equal(page["next_cursor"]!.GetValue<string>(), after["next_cursor"]!.GetValue<string>());
        Assert.False(after["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task List_IncludesReleasedTokens_ByJtiOnly()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        var agent = await broker.RegisterAgentAsync();
        Assert.Equal(204, (int)(await broker.PostWithBearerAsync("/v1/token/release", agent.Token)).StatusCode);

        var page = await FeedAsync(feed, "since=0");

        var entry = Assert.Single(Entries(page));
        Assert.Equal("token", entry["level"]!.GetValue<string>());
        Assert.Equal(BrokerApi.Jti(agent.Token), entry["target"]!.GetValue<string>());
        Assert.Equal("released", entry["reason"]!.GetValue<string>());
        Assert.DoesNotContain(agent.Token, page.ToJsonString());
    }

    [Fact]
    public async Task List_PagesWithLimit_WithoutRepeatsOrGaps()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        var targets = Enumerable.Range(1, 5).Select(i => $"task-page-{i}").ToList();
        foreach (string target in targets)
        {
            await broker.RevokeOkAsync(admin, "task", target);
        }

        var seen = new List<string>();
        var hasMore = new List<bool>();
        string cursor = "0";
        for (int i = 0; i < 10; i++)
        {
            var page = await FeedAsync(feed, $"since={cursor}&limit=2");
            var entries = Entries(page);
            Assert.True(entries.Count <= 2);
            seen.AddRange(entries.Select(e => e["target"]!.GetValue<string>()));
            hasMore.Add(page["has_more"]!.GetValue<bool>());
            cursor = page["next_cursor"]!.GetValue<string>();
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }
        }

        Assert.Equal(targets, seen);
        Assert.Equal([true, true, false], hasMore);
    }

    [Theory]
    [InlineData("since=abc", "since must be a cursor returned as next_cursor (a non-negative integer)")]
    [InlineData("since=-1", "since must be a cursor returned as next_cursor (a non-negative integer)")]
    [InlineData("since=1.5", "since must be a cursor returned as next_cursor (a non-negative integer)")]
    [InlineData("since=", "since must be a cursor returned as next_cursor (a non-negative integer)")]
    [InlineData("since=1&since=2", "since must be a cursor returned as next_cursor (a non-negative integer)")]
    [InlineData("limit=", "limit must be between 1 and 1000")]
    [InlineData("limit=0", "limit must be between 1 and 1000")]
    [InlineData("limit=1001", "limit must be between 1 and 1000")]
    [InlineData("limit=ten", "limit must be between 1 and 1000")]
    public async Task List_Returns400_WhenCursorOrLimitIsInvalid(string query, string detail)
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();

        var response = await feed.GetAsync("/v1/revocations?" + query);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", detail);
    }

    [Fact]
    public async Task Stream_Returns400_WhenSinceIsInvalid()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();

        var response = await feed.GetAsync("/v1/revocations/stream?since=x");

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "since must be a cursor returned as next_cursor (a non-negative integer)");
    }

    [Fact]
    public async Task List_OmitsEntries_WhoseTokensHaveAllExpired()
    {
        var settings = new Dictionary<string, string?> { ["max_ttl"] = "120", ["default_ttl"] = "60", ["admin_token_ttl"] = "120" };
        await using var broker = await BrokerFixture.StartAsync(settings);
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        await broker.RevokeOkAsync(admin, "task", "task-old");
        broker.Time.Advance(TimeSpan.FromSeconds(60));
        await broker.RevokeOkAsync(admin, "task", "task-new");
        Assert.Equal(2, Entries(await FeedAsync(feed, "since=0")).Count);

        // 181 s after the first revocation: every token it could match has expired (120 s) and the
        // 60 s entry leeway has passed; the second is 121 s old, still within its leeway.
        broker.Time.Advance(TimeSpan.FromSeconds(121));

        var page = await FeedAsync(feed, "since=0");
        Assert.Equal(["task-new"], Entries(page).Select(e => e["target"]!.GetValue<string>()));

        broker.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(Entries(await FeedAsync(feed, "since=0")));
    }

    [Fact]
    public async Task Stream_DeliversARevocation_WithinOneSecondOfTheRevokeCall()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        var agent = await broker.RegisterAgentAsync();
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");

        var watch = Stopwatch.StartNew();
        var revoke = broker.RevokeAsync(admin, "agent", agent.AgentId);
        var e = await stream.NextAsync(Wait);
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the stream took {watch.Elapsed.TotalMilliseconds:F0} ms");
        var response = await revoke;
        long sequence = (await response.Content.ReadFromJsonAsync<JsonObject>())!["sequence"]!.GetValue<long>();
        Assert.Equal("revocation", e.Event);
        Assert.Equal(sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Id);
        var data = JsonNode.Parse(e.Data)!.AsObject();
        Assert.Equal(sequence, data["seq"]!.GetValue<long>());
        Assert.Equal("agent", data["level"]!.GetValue<string>());
        Assert.Equal(agent.AgentId, data["target"]!.GetValue<string>());
        Assert.Equal("no-store", stream.Response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Stream_ReplaysFromSince_AndThenPushesNewEntries()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        await broker.RevokeOkAsync(admin, "task", "task-1");
        var second = await broker.RevokeOkAsync(admin, "task", "task-2");
        await broker.RevokeOkAsync(admin, "task", "task-3");

        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream?since=" + second["sequence"]);

        var replayed = await stream.NextAsync(Wait);
        Assert.Equal("task-3", JsonNode.Parse(replayed.Data)!["target"]!.GetValue<string>());
        await broker.RevokeOkAsync(admin, "task", "task-4");
        var pushed = await stream.NextAsync(Wait);
        Assert.Equal("task-4", JsonNode.Parse(pushed.Data)!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_HonoursLastEventId_WithoutReplayingOlderEntries()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        await broker.RevokeOkAsync(admin, "task", "task-1");
        var second = await broker.RevokeOkAsync(admin, "task", "task-2");
        string lastSeen = second["sequence"]!.ToString();

        // A reconnecting client sends the id of the last event it saw; since=0 is overridden by it.
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream?since=0", lastEventId: lastSeen);
        var third = await broker.RevokeOkAsync(admin, "task", "task-3");

        var e = await stream.NextAsync(Wait);
        Assert.Equal(third["sequence"]!.ToString(), e.Id);
        Assert.Equal("task-3", JsonNode.Parse(e.Data)!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_DoesNotRepeatAnIdempotentRevocation()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");

        await broker.RevokeOkAsync(admin, "task", "task-1");
        await broker.RevokeOkAsync(admin, "task", "task-1");
        await broker.RevokeOkAsync(admin, "task", "task-2");

        var first = await stream.NextAsync(Wait);
        var next = await stream.NextAsync(Wait);
        Assert.Equal("task-1", JsonNode.Parse(first.Data)!["target"]!.GetValue<string>());
        Assert.Equal("task-2", JsonNode.Parse(next.Data)!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_SendsKeysEvent_WhenTheSigningKeyIsRotated()
    {
        await using var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        string admin = await broker.AdminTokenAsync();
        long before = (await FeedAsync(feed, "since=0"))["keys_version"]!.GetValue<long>();
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");

        var rotate = await broker.PostWithBearerAsync("/v1/admin/keys/rotate", admin);
        Assert.Equal(200, (int)rotate.StatusCode);

        var e = await stream.NextAsync(Wait);
        Assert.Equal("keys", e.Event);
        long version = JsonNode.Parse(e.Data)!["keys_version"]!.GetValue<long>();
        Assert.True(version > before);
        Assert.Equal(version, (await FeedAsync(feed, "since=0"))["keys_version"]!.GetValue<long>());
    }

    [Fact]
    public async Task Broker_StopsPromptly_WhileAStreamIsOpen()
    {
        var broker = await BrokerFixture.StartAsync();
        using var feed = await broker.FeedClientAsync();
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");

        var watch = Stopwatch.StartNew();
        await broker.StopAsync();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"shutdown took {watch.Elapsed.TotalSeconds:F1} s with a subscriber connected");
    }
}
