using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// The <c>mudraid</c> profile's RS256 key on a broker whose default key is another algorithm:
/// its creation is announced to feed subscribers, and <c>POST /v1/admin/keys/rotate</c> rotates
/// it with the default key, keeping the old one published while its tokens can live.
/// </summary>
public sealed class ProfileKeyRotationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public Task FirstMudraidPlatform_AnnouncesTheNewProfileKeyOnTheStream() => WithBrokerAsync(AnnouncesAsync);

    private static async Task AnnouncesAsync(MudraIdBroker fixture)
    {
        var broker = fixture.Broker;
        using var feed = await broker.FeedClientAsync();
        await using var stream = await SseStream.OpenAsync(feed, "/v1/revocations/stream");
        Assert.DoesNotContain(await JwksAsync(broker), k => k["alg"]!.GetValue<string>() == "RS256");

        await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read"]);

        var e = await stream.NextAsync(Wait);
        Assert.Equal("keys", e.Event);
        Assert.Contains(await JwksAsync(broker), k => k["alg"]!.GetValue<string>() == "RS256");
    }

    [Fact]
    public Task Rotate_RotatesTheProfileKeyWithTheDefaultKey_AndOldProfileTokensStillVerify() => WithBrokerAsync(RotatesAsync);

    private static async Task RotatesAsync(MudraIdBroker fixture)
    {
        var broker = fixture.Broker;
        string admin = await broker.AdminTokenAsync();
        var platform = await fixture.PlatformAsync(UniqueId("orders"), ["orders.example.com"], ["orders:read"]);
        var agent = await fixture.AgentAsync([(platform.PlatformId, ["orders:read"])]);
        string before = (await broker.ExchangeOkAsync(agent, "https://orders.example.com/"))["access_token"]!.GetValue<string>();
        string oldProfileKid = Kid(before);
        var listed = await AdminKeysAsync(broker, "/v1/admin/keys", HttpMethod.Get, admin);
        Assert.Equal([oldProfileKid], Kids(listed, "profile_keys"));
        string oldMainKid = Kids(listed, "keys")[0];

        var rotated = await AdminKeysAsync(broker, "/v1/admin/keys/rotate", HttpMethod.Post, admin);

        var profile = rotated["profile_keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(2, profile.Count);
        Assert.NotEqual(oldProfileKid, profile[0]["kid"]!.GetValue<string>());
        Assert.Equal(["active", "retiring"], profile.Select(k => k["status"]!.GetValue<string>()));
        Assert.All(profile, k => Assert.Equal("RS256", k["alg"]!.GetValue<string>()));
        Assert.Equal(oldProfileKid, profile[1]["kid"]!.GetValue<string>());
        Assert.NotNull(profile[1]["retires_at"]);
        Assert.Equal(oldMainKid, Kids(rotated, "keys")[1]);
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(Path.Combine(broker.Directory, "signing-key-rs256.json")))!["keys"]!.AsArray().Count);

        // New tokens carry the new profile key; the old one stays published, so its tokens still verify.
        string after = (await broker.ExchangeOkAsync(agent, "https://orders.example.com/"))["access_token"]!.GetValue<string>();
        Assert.Equal(profile[0]["kid"]!.GetValue<string>(), Kid(after));
        Assert.Equal("RS256", Jwt.Header(after)["alg"]!.GetValue<string>());
        var published = (await JwksAsync(broker)).Select(k => k["kid"]!.GetValue<string>()).ToList();
        Assert.Contains(oldProfileKid, published);
        Assert.Contains(Kid(after), published);
        var verifier = fixture.Verifier(platform.PlatformId);
        Assert.Equal(200, (await verifier.VerifyAsync("Bearer " + before, "orders:read")).Status);
        Assert.Equal(200, (await verifier.VerifyAsync("Bearer " + after, "orders:read")).Status);

        var audit = Assert.Single(await broker.AuditAsync("key_rotated", adminToken: admin));
        string detail = audit["detail"]!.GetValue<string>();
        Assert.Contains("profile_new_kid=" + Kid(after), detail, StringComparison.Ordinal);
        Assert.Contains("profile_previous_kid=" + oldProfileKid, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_ListsNoProfileKeys_WhenNoPlatformUsesTheProfile()
    {
        await using var broker = await BrokerFixture.StartAsync();
        string admin = await broker.AdminTokenAsync();

        var rotated = await AdminKeysAsync(broker, "/v1/admin/keys/rotate", HttpMethod.Post, admin);

        Assert.Null(rotated["profile_keys"]);
        Assert.DoesNotContain(await JwksAsync(broker), k => k["alg"]!.GetValue<string>() == "RS256");
        Assert.False(File.Exists(Path.Combine(broker.Directory, "signing-key-rs256.json")));
    }

    private static async Task WithBrokerAsync(Func<MudraIdBroker, Task> test)
    {
        var fixture = await MudraIdBroker.StartAsync(NoExchangeLimits);
        try
        {
            await test(fixture);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static string[] Kids(JsonObject body, string ring) => [.. body[ring]!.AsArray().Select(k => k!["kid"]!.GetValue<string>())];

    private static async Task<JsonObject> AdminKeysAsync(BrokerFixture broker, string path, HttpMethod method, string admin)
    {
        var response = method == HttpMethod.Get ? await broker.GetWithBearerAsync(path, admin) : await broker.PostWithBearerAsync(path, admin);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<List<JsonObject>> JwksAsync(BrokerFixture broker) =>
        [.. (await broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => k!.AsObject())];
}
