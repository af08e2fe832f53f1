using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Security review 17.2, both halves together: a broker whose revocation feed requires a credential
/// (its default) and a platform that follows it with its own client id and secret.
/// </summary>
public sealed class RevocationFeedEndToEndTests
{
    [Fact]
    public async Task GetOrders_Returns401TokenRevoked_WhenThePlatformFollowsACredentialedFeedWithItsSecret()
    {
        await using var broker = await TesseraBroker.StartAsync(publicFeed: false);
        string admin = await broker.AdminTokenAsync();
        var platform = await BrokerAdmin.PostAsync(broker, admin, "/v1/admin/platforms", new JsonObject
        {
            ["platform_id"] = TesseraBroker.Audience,
            ["name"] = "Orders",
            ["hostnames"] = new JsonArray("orders.test"),
            ["scopes"] = new JsonArray("orders:read"),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await broker.Client.GetAsync("/v1/revocations")).StatusCode);
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o =>
        {
            o.ClientId = platform["client_id"]!.GetValue<string>();
            o.ClientSecret = platform["client_secret"]!.GetValue<string>();
        });
        string token = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", token)).StatusCode);

        using var revoke = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "token", target = Refusal.Payload(token)["jti"]!.GetValue<string>() }) };
        revoke.Headers.Authorization = new("Bearer", admin);
        Assert.Equal(HttpStatusCode.OK, (await broker.Client.SendAsync(revoke)).StatusCode);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var response = await api.GetAsync("/orders", token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await Refusal.Assert401Async(response, "TOKEN_REVOKED", "invalid_token");
                break;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the platform never saw the revocation through its credentialed feed");
            await Task.Delay(20);
        }
    }
}
