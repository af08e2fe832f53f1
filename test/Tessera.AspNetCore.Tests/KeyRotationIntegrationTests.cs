using System.Net;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>A key rotation at a real broker is picked up by a running API without a 5xx.</summary>
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
}
