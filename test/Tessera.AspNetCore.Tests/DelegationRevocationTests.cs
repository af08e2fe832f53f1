using System.Net;
using Tessera.AspNetCore.Tests.Infrastructure;
using static Tessera.AspNetCore.Tests.Infrastructure.FeedHelpers;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Security finding 17.6 (verifier half): revoking an agent kills every delegation chain it
/// started or sits in, at the platform, over real HTTP against a real broker, cached tokens included.
/// </summary>
public sealed class DelegationRevocationTests
{
    [Fact]
    public async Task GetOrders_Returns401TokenRevoked_ForTokensDelegatedThroughARevokedAgent()
    {
        await using var broker = await TesseraBroker.StartAsync();
        await using var api = await ProtectedApi.StartAsync(broker.Url);
        string a = await broker.TokenAsync(["orders:read"]);
        string b = await broker.TokenAsync(["orders:read"]);
        string r = await broker.TokenAsync(["orders:read"]);

        // A starts a chain (A → B); A also sits inside one (R → A → B).
        string ab = await DelegateAsync(broker, a, b);
        string ra = await DelegateAsync(broker, r, a);
        string rab = await DelegateAsync(broker, ra, b);
        Assert.Equal(Claim(a, "sub"), Refusal.Payload(ab)["delegation_chain"]![0]!["agent"]!.GetValue<string>());

        // Every token works first, and is now in the verified-token cache.
        foreach (string token in new[] { a, b, r, ab, ra, rab })
        {
            Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, token)).StatusCode);
        }

        await PostAsync(broker, "/v1/revoke", await broker.AdminTokenAsync(), new { level = "agent", target = Claim(a, "sub") });

        await WaitUntilAsync(() => GetOrdersAsync(api, a).Result.StatusCode == HttpStatusCode.Unauthorized, "the agent's own token is refused");
        foreach (string token in new[] { ab, ra, rab })
        {
            await Refusal.Assert401Async(await GetOrdersAsync(api, token), "TOKEN_REVOKED", "invalid_token");
        }

        // Chains without A, and the other agents' own tokens, are untouched.
        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, b)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, r)).StatusCode);
        string rb = await DelegateAsync(broker, r, b);
        Assert.Equal(HttpStatusCode.OK, (await GetOrdersAsync(api, rb)).StatusCode);
    }

    private static async Task<string> DelegateAsync(TesseraBroker broker, string delegator, string delegatee) =>
        (await PostAsync(broker, "/v1/delegate", delegator, new Dictionary<string, object>
        {
            ["delegate_to"] = Claim(delegatee, "sub"),
            ["scope"] = new[] { "orders:read" },
            ["ttl"] = 120,
        }))!["access_token"]!.GetValue<string>();
}
