using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// A token from the credential exchange (issue #5) is bound to one platform: the verification
/// library accepts it at that platform and refuses it, as <c>WRONG_AUDIENCE</c>, at another.
/// </summary>
public sealed class ExchangedTokenTests
{
    [Fact]
    public async Task ExchangedToken_VerifiesAtItsPlatform_AndIsRefusedByAnother()
    {
        await using var broker = await TesseraBroker.StartAsync();
        string admin = await broker.AdminTokenAsync();
        foreach (string platform in new[] { TesseraBroker.Audience, "billing-api" })
        {
            await BrokerAdmin.PostAsync(broker, admin, "/v1/admin/platforms", new JsonObject
            {
                ["platform_id"] = platform,
                ["hostnames"] = new JsonArray($"{platform}.example.com"),
                ["scopes"] = new JsonArray("orders:read", "orders:write"),
            });
        }

        var agent = await BrokerAdmin.PostAsync(broker, admin, "/v1/admin/agents", new JsonObject { ["name"] = "two-platform-agent" });
        string keyId = agent["key_id"]!.GetValue<string>();
        string secret = agent["secret"]!.GetValue<string>();
        foreach (string platform in new[] { TesseraBroker.Audience, "billing-api" })
        {
            await BrokerAdmin.PostAsync(broker, admin, $"/v1/admin/agents/{keyId}/grants", new JsonObject { ["platform_id"] = platform, ["scopes"] = new JsonArray("orders:read") }, 200);
        }

        string ordersToken = await ExchangeAsync(broker, keyId, secret, TesseraBroker.Audience);
        string billingToken = await ExchangeAsync(broker, keyId, secret, "billing-api");
        Assert.Equal(TesseraBroker.Audience, Refusal.Payload(ordersToken)["aud"]!.GetValue<string>());
        await using var api = await ProtectedApi.StartAsync(broker.Url);

        var accepted = await api.GetAsync("/orders", ordersToken);
        var refused = await api.GetAsync("/orders", billingToken);

        Assert.True(accepted.StatusCode == HttpStatusCode.OK, await accepted.Content.ReadAsStringAsync());
        await Refusal.AssertAsync(refused, HttpStatusCode.Unauthorized, "WRONG_AUDIENCE");
    }

    private static async Task<string> ExchangeAsync(TesseraBroker broker, string keyId, string secret, string resource)
    {
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("resource", resource)]),
        };
        exchange.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{keyId}:{secret}")));
        var response = await broker.Client.SendAsync(exchange);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }
}
