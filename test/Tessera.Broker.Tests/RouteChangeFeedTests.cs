using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// Issue 19, point 3: the broker announces a changed scopes file on the revocation stream
/// (<c>event: routes</c>) and answers a conditional fetch of an unchanged one with 304.
/// </summary>
public sealed class RouteChangeFeedTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Stream_SendsRoutesEvent_WhenThePlatformsRoutesChange()
    {
        string admin = await Broker.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(routes: new JsonArray(Route("GET", "/orders", "read:orders:*")), adminToken: admin);
        using var feed = PlatformClient(platform);
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");

        var updated = await Broker.AdminOkAsync(
            HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}",
            new JsonObject { ["routes"] = new JsonArray(Route("GET", "/orders", "read:orders:*"), Route("POST", "/orders", "write:orders:*")) },
            adminToken: admin);

        var e = await NextRoutesEventAsync(stream);
        var data = JsonNode.Parse(e.Data)!.AsObject();
        Assert.Equal(platform.PlatformId, data["platform_id"]!.GetValue<string>());
        Assert.Equal(updated["version"]!.GetValue<long>(), data["version"]!.GetValue<long>());
        Assert.Null(e.Id);
    }

    [Fact]
    public async Task Stream_OfAPlatform_DoesNotCarryAnotherPlatformsRouteEvents()
    {
        string admin = await Broker.AdminTokenAsync();
        var mine = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        using var feed = PlatformClient(mine);
        using var adminFeed = new HttpClient { BaseAddress = Broker.BaseAddress };
        adminFeed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");
        await using var adminStream = await SseStream.OpenAsync(adminFeed, "/v1/revocations/stream");

        await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{other.PlatformId}", new JsonObject { ["name"] = "Other, renamed" }, adminToken: admin);
        await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{mine.PlatformId}", new JsonObject { ["name"] = "Mine, renamed" }, adminToken: admin);

        // The admin stream sees both, in order; the platform's stream sees its own change first and
        // so never held the other one (the streams are written in the same order).
        Assert.Equal(other.PlatformId, PlatformOf(await NextRoutesEventAsync(adminStream, other.PlatformId)));
        Assert.Equal(mine.PlatformId, PlatformOf(await NextRoutesEventAsync(adminStream, mine.PlatformId)));
        Assert.Equal(mine.PlatformId, PlatformOf(await NextRoutesEventAsync(stream)));
    }

    [Fact]
    public async Task ScopesFile_Returns304_WhenIfNoneMatchIsItsETag_And200WithANewETagAfterAnUpdate()
    {
        string admin = await Broker.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(routes: new JsonArray(Route("GET", "/orders", "read:orders:*")), adminToken: admin);

        var first = await ScopesFileAsync(platform);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);

        var unchanged = await ScopesFileAsync(platform, etag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(etag, unchanged.Headers.ETag);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());

        await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["routes"] = new JsonArray(Route("GET", "/orders/{id}", "read:orders:*")) }, adminToken: admin);
        var changed = await ScopesFileAsync(platform, etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        Assert.Contains("/orders/{id}", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopesFile_Returns401NotA304_WhenTheCredentialsAreWrong_EvenWithTheCurrentETag()
    {
        string admin = await Broker.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var etag = (await ScopesFileAsync(platform)).Headers.ETag;

        var response = await ScopesFileAsync(platform with { ClientId = other.ClientId, ClientSecret = other.ClientSecret }, etag);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private HttpClient PlatformClient(TestPlatform platform)
    {
        var client = new HttpClient { BaseAddress = Broker.BaseAddress };
        client.DefaultRequestHeaders.Authorization = Basic(platform.ClientId, platform.ClientSecret);
        return client;
    }

    private async Task<HttpResponseMessage> ScopesFileAsync(TestPlatform platform, EntityTagHeaderValue? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{platform.PlatformId}/scopes-file");
        request.Headers.Authorization = Basic(platform.ClientId, platform.ClientSecret);
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(ifNoneMatch);
        }

        return await Broker.Client.SendAsync(request);
    }

    private static string PlatformOf(SseEvent e) => JsonNode.Parse(e.Data)!["platform_id"]!.GetValue<string>();

    // Other tests share the broker: revocations and their route changes may come in between.
    private static async Task<SseEvent> NextRoutesEventAsync(SseStream stream, string? platformId = null)
    {
        while (true)
        {
            var e = await stream.NextAsync(Wait);
            if (e.Event == "routes" && (platformId is null || PlatformOf(e) == platformId))
            {
                return e;
            }
        }
    }
}
