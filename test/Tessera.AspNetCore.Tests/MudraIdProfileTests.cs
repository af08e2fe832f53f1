using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// A platform on the broker's <c>mudraid</c> token profile: its RS256 tokens, with scopes both as
/// the <c>scope</c> string and the <c>scopes</c> array, verify with this library pinned to RS256,
/// so a platform can move from MudraID's middleware to Tessera's without changing the profile.
/// </summary>
public sealed class MudraIdProfileTests
{
    [Fact]
    public async Task GetOrders_AcceptsAMudraIdProfileToken_WhenTheVerifierPinsRs256()
    {
        await using var broker = await TesseraBroker.StartAsync();
        string admin = await broker.AdminTokenAsync();
        await BrokerAdmin.PostAsync(broker, admin, "/v1/admin/platforms", new JsonObject
        {
            ["platform_id"] = TesseraBroker.Audience,
            ["hostnames"] = new JsonArray("orders.example.com"),
            ["scopes"] = new JsonArray("orders:read", "orders:write"),
            ["token_profile"] = "mudraid",
        });
        var agent = await BrokerAdmin.PostAsync(broker, admin, "/v1/admin/agents", new JsonObject { ["name"] = "orders-agent" });
        string keyId = agent["key_id"]!.GetValue<string>();
        await BrokerAdmin.PostAsync(broker, admin, $"/v1/admin/agents/{keyId}/grants", new JsonObject { ["platform_id"] = TesseraBroker.Audience, ["scopes"] = new JsonArray("orders:read") }, 200);
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("resource", "https://orders.example.com/")]),
        };
        exchange.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{keyId}:{agent["secret"]!.GetValue<string>()}")));
        var exchanged = await broker.Client.SendAsync(exchange);
        string token = JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        Assert.Equal("RS256", Refusal.Header(token)["alg"]!.GetValue<string>());
        Assert.Equal("orders:read", Assert.Single(Refusal.Payload(token)["scopes"]!.AsArray())!.GetValue<string>());
        await using var api = await ProtectedApi.StartAsync(broker.Url, configure: o => o.Algorithm = "RS256");

        var read = await api.GetAsync("/orders", token);
        var write = await api.SendAsync(HttpMethod.Post, "/orders", token);

        string text = await read.Content.ReadAsStringAsync();
        Assert.True(read.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(["orders:read"], JsonNode.Parse(text)!["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        await Refusal.AssertAsync(write, HttpStatusCode.Forbidden, "MISSING_SCOPE");
    }
}
