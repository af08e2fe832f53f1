using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;
using static Tessera.AspNetCore.Tests.Infrastructure.FeedHelpers;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Over real HTTP, a real broker and a platform following its feed: a suspension's <c>agent</c>
/// entry refuses the tokens issued before it, an unsuspended agent's new token works at once, and
/// suspending it again (the same entry, sent again under a new sequence number) refuses that one too.
/// </summary>
public sealed class UnsuspensionTests
{
    [Fact]
    public async Task GetOrders_AcceptsTheTokenIssuedAfterUnsuspension_AndRefusesItAfterTheNextSuspension()
    {
        await using var broker = await TesseraBroker.StartAsync();
        string admin = await broker.AdminTokenAsync();
        await AdminAsync(broker, admin, "/v1/admin/platforms", new
        {
            platform_id = TesseraBroker.Audience,
            name = "Orders",
            hostnames = new[] { "orders.test" },
            scopes = new[] { "orders:read" },
        });
        var agent = await AdminAsync(broker, admin, "/v1/admin/agents", new { name = "indexer" });
        string keyId = agent["key_id"]!.GetValue<string>();
        string secret = agent["secret"]!.GetValue<string>();
        await AdminAsync(broker, admin, $"/v1/admin/agents/{keyId}/grants", new { platform_id = TesseraBroker.Audience, scopes = new[] { "orders:read" } });
        await using var api = await ProtectedApi.StartAsync(broker.Url);
        string t1 = await ExchangeAsync(broker, keyId, secret);
        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, t1)).StatusCode);

        await AdminAsync(broker, admin, $"/v1/admin/agents/{keyId}/suspend");
        await WaitUntilAsync(() => GetOrdersAsync(api, t1).Result.StatusCode == HttpStatusCode.Unauthorized, "the token issued before the suspension is refused");
        await Refusal.Assert401Async(await GetOrdersAsync(api, t1), "TOKEN_REVOKED", "invalid_token");

        // iat has whole seconds: a token from the suspension's own second counts as issued before it.
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await AdminAsync(broker, admin, $"/v1/admin/agents/{keyId}/unsuspend");
        string t2 = await ExchangeAsync(broker, keyId, secret);

        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, t2)).StatusCode);
        await Refusal.Assert401Async(await GetOrdersAsync(api, t1), "TOKEN_REVOKED", "invalid_token");

        await AdminAsync(broker, admin, $"/v1/admin/agents/{keyId}/suspend");
        await WaitUntilAsync(() => GetOrdersAsync(api, t2).Result.StatusCode == HttpStatusCode.Unauthorized, "the token issued before the second suspension is refused");
        await Refusal.Assert401Async(await GetOrdersAsync(api, t2), "TOKEN_REVOKED", "invalid_token");
    }

    private static async Task<JsonObject> AdminAsync(TesseraBroker broker, string admin, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<string> ExchangeAsync(TesseraBroker broker, string keyId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["resource"] = TesseraBroker.Audience }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(keyId) + ":" + WebUtility.UrlEncode(secret))));
        using var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }
}
