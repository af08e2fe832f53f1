using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>The library follows the broker's revocation feed: a revoked token is refused within a second.</summary>
public sealed class RevocationIntegrationTests
{
    [Fact]
    public async Task RevokedToken_IsRefusedWithTokenRevoked_WithinOneSecondP99_Over100Revocations()
    {
        await using var broker = await TesseraBroker.StartAsync();
        await using var api = await ProtectedApi.StartAsync(broker.Url);
        string admin = await broker.AdminTokenAsync();
        var tokens = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            tokens.Add(await broker.TokenAsync(["orders:read"]));
        }

        // Every token works first (and the first request starts the feed follower).
        foreach (string token in tokens.Take(3))
        {
            Assert.Equal(200, (int)(await GetOrdersAsync(api, token)).StatusCode);
        }

        var latencies = new List<double>();
        foreach (string token in tokens)
        {
            string jti = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]))!["jti"]!.GetValue<string>();
            using var revoke = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "token", target = jti }) };
            revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            var clock = Stopwatch.StartNew();
            Assert.Equal(200, (int)(await broker.Client.SendAsync(revoke)).StatusCode);
            while (true)
            {
                var response = await GetOrdersAsync(api, token);
                if ((int)response.StatusCode == 401)
                {
                    var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    Assert.Equal("TOKEN_REVOKED", body["error_code"]!.GetValue<string>());
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
                    break;
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "revocation not honoured within 5 s");
                await Task.Delay(5);
            }
        }

        latencies.Sort();
        double p99 = latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        Assert.True(p99 < 1000, $"p99 {p99:F0} ms");
    }

    [Fact]
    public async Task AgentRevocation_RefusesEveryTokenOfTheAgent_AndLeavesOthersAlone()
    {
        await using var broker = await TesseraBroker.StartAsync();
        await using var api = await ProtectedApi.StartAsync(broker.Url);
        string victim = await broker.TokenAsync(["orders:read"]);
        string bystander = await broker.TokenAsync(["orders:read"]);
        Assert.Equal(200, (int)(await GetOrdersAsync(api, victim)).StatusCode);
        string agent = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(victim.Split('.')[1]))!["sub"]!.GetValue<string>();
        using var revoke = new HttpRequestMessage(HttpMethod.Post, "/v1/revoke") { Content = JsonContent.Create(new { level = "agent", target = agent }) };
        revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await broker.AdminTokenAsync());
        Assert.Equal(200, (int)(await broker.Client.SendAsync(revoke)).StatusCode);

        var deadline = Stopwatch.StartNew();
        while ((int)(await GetOrdersAsync(api, victim)).StatusCode != 401)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }

        Assert.Equal(200, (int)(await GetOrdersAsync(api, bystander)).StatusCode);
    }

    [Theory]
    [InlineData(false, 401)]
    [InlineData(true, 200)]
    public async Task OlderToken_FailsClosedUnlessConfiguredOpen_WhenTheRevocationFeedIsStale(bool failOpen, int expected)
    {
        var broker = await TesseraBroker.StartAsync();
        string token = await broker.TokenAsync(["orders:read"]);
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o =>
        {
            o.RevocationMaxStaleness = TimeSpan.FromSeconds(1);
            o.RevocationFailOpen = failOpen;
        });
        Assert.Equal(200, (int)(await GetOrdersAsync(api, token)).StatusCode);

        // The broker goes away: the feed falls silent, and the token is older than the bound.
        await broker.DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        var response = await GetOrdersAsync(api, token);
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 401)
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("TOKEN_REVOKED", body["error_code"]!.GetValue<string>());
            Assert.Contains("stale", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    private static async Task<HttpResponseMessage> GetOrdersAsync(ProtectedApi api, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await api.Client.SendAsync(request);
    }
}
