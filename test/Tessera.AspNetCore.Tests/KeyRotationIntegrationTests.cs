using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>A key rotation at a real broker is picked up by a running API without a 5xx, even inside the JWKS cooldown.</summary>
public sealed class KeyRotationIntegrationTests
{
    [Fact]
    public async Task GetOrders_AcceptsNewAndOldKeyTokens_WhenBrokerRotatesKey()
    {
        await using var broker = await TesseraBroker.StartAsync();
        await using var api = await ProtectedApi.StartAsync(broker.Url);
        string oldToken = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", oldToken)).StatusCode);
        Assert.Equal(1, api.Backchannel.JwksFetches);

        string newKid = await broker.RotateKeyAsync();
        string newToken = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(newKid, Refusal.Header(newToken)["kid"]!.GetValue<string>());
        Assert.NotEqual(Refusal.Header(oldToken)["kid"]!.GetValue<string>(), newKid);

        var first = await api.GetAsync("/orders", newToken);
        Assert.True(first.StatusCode == HttpStatusCode.OK, $"{(int)first.StatusCode}: {await first.Content.ReadAsStringAsync()}");
        Assert.Equal(2, api.Backchannel.JwksFetches);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", newToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", oldToken)).StatusCode);
        }

        Assert.Equal(2, api.Backchannel.JwksFetches);

        // A second rotation right after is picked up too (a real rotation is never blocked by the cooldown).
        string newerKid = await broker.RotateKeyAsync();
        string newerToken = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(newerKid, Refusal.Header(newerToken)["kid"]!.GetValue<string>());
        var second = await api.GetAsync("/orders", newerToken);
        Assert.True(second.StatusCode == HttpStatusCode.OK, $"{(int)second.StatusCode}: {await second.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.Unauthorized)]
    public async Task GetOrders_SeesTheRotatedKeyInsideTheCooldown_OnlyThroughTheFeedsKeysEvent(bool followFeed, HttpStatusCode expected)
    {
        await using var broker = await TesseraBroker.StartAsync();
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o =>
        {
            o.FollowRevocations = followFeed;
            o.Jwks.UnknownKeyCooldown = TimeSpan.FromHours(1);
        });
        string token = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);

        // An invented kid costs the one refetch and arms the cooldown: no unknown kid is fetched for an hour.
        var header = Refusal.Header(token);
        header["kid"] = "invented";
        await Refusal.Assert401Async(await api.GetAsync("/orders", Refusal.WithHeader(token, header)), "INVALID_TOKEN", "invalid_token");
        Assert.Equal(2, api.Backchannel.JwksFetches);
        if (followFeed)
        {
            await WaitForLiveFeedAsync(broker, api);
        }

        await broker.RotateKeyAsync();
        string rotated = await broker.TokenAsync(["orders:read"]);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        do
        {
            response = await api.GetAsync("/orders", rotated);
            await Task.Delay(20);
        }
        while (response.StatusCode != expected && clock.Elapsed < TimeSpan.FromSeconds(3));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(followFeed ? 3 : 2, api.Backchannel.JwksFetches);
    }

    // A revocation seen by the API proves its feed stream is connected, so the keys event will reach it.
    private static async Task WaitForLiveFeedAsync(TesseraBroker broker, ProtectedApi api)
    {
        string probe = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", probe)).StatusCode);
        using var revoke = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "token", target = Refusal.Payload(probe)["jti"]!.GetValue<string>() }) };
        revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await broker.AdminTokenAsync());
        Assert.Equal(HttpStatusCode.OK, (await broker.Client.SendAsync(revoke)).StatusCode);
        var clock = Stopwatch.StartNew();
        while ((await api.GetAsync("/orders", probe)).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "the revocation feed did not deliver within 3 s");
            await Task.Delay(10);
        }
    }
}
