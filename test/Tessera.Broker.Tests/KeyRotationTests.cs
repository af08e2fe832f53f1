using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

public sealed class KeyRotationTests
{
    private static readonly Dictionary<string, string?> ShortLived = new()
    {
        ["max_ttl"] = "120",
        ["default_ttl"] = "60",
        ["admin_token_ttl"] = "120",
    };

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static async Task<JsonObject> RotateAsync(BrokerFixture broker, string admin)
    {
        var response = await broker.PostWithBearerAsync("/v1/admin/keys/rotate", admin);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<JsonObject> KeysAsync(BrokerFixture broker, string admin)
    {
        var response = await broker.GetWithBearerAsync("/v1/admin/keys", admin);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static void AssertOwnerOnly(BrokerFixture broker)
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(broker.Directory, "signing-key.json")));
        }
    }

    private static int KeysInFile(BrokerFixture broker) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(broker.Directory, "signing-key.json")))!["keys"]!.AsArray().Count;

    [Fact]
    public async Task Rotate_Returns403InsufficientScope_WhenBearerIsAnAgentToken()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var agent = await broker.RegisterAgentAsync();
        var kids = await broker.JwksKidsAsync();

        var rotate = await broker.PostWithBearerAsync("/v1/admin/keys/rotate", agent.Token);
        var list = await broker.GetWithBearerAsync("/v1/admin/keys", agent.Token);

        await RegistrationTests.AssertProblem(rotate, 403, "insufficient_scope", "token lacks required scope: admin:keys:*");
        await RegistrationTests.AssertProblem(list, 403, "insufficient_scope", "token lacks required scope: admin:keys:*");
        Assert.Equal(kids, await broker.JwksKidsAsync());
    }

    [Fact]
    public async Task Rotate_Returns401_WhenNoBearer()
    {
        await using var broker = await BrokerFixture.StartAsync();

        var response = await broker.Client.PostAsync("/v1/admin/keys/rotate", null);

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Fact]
    public async Task Rotate_MakesANewActiveKey_WhileTokensSignedBeforeKeepValidating()
    {
        await using var broker = await BrokerFixture.StartAsync();
        var a = await broker.RegisterAgentAsync(["read:data:*"]);
        var b = await broker.RegisterAgentAsync(["read:data:*"]);
        string admin = await broker.AdminTokenAsync();
        string oldKid = Kid(a.Token);
        var rotatedAt = broker.Time.GetUtcNow();

        var body = await RotateAsync(broker, admin);

        string newKid = body["active_kid"]!.GetValue<string>();
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(oldKid, body["previous_kid"]!.GetValue<string>());
        Assert.Equal([newKid, oldKid], body["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()));
        Assert.Equal([newKid, oldKid], await broker.JwksKidsAsync());

        // Tokens signed by the old key: validate, authenticate, delegate, renew.
        Assert.True(await broker.IsValidAsync(a.Token));
        Assert.True(await broker.IsValidAsync(admin));
        var keys = await KeysAsync(broker, admin);
        var delegated = await broker.DelegateOkAsync(b.Token, a.AgentId, ["read:data:x"]);
        Assert.Equal(newKid, Kid(delegated["access_token"]!.GetValue<string>()));
        Assert.Equal(newKid, delegated["delegation_chain"]![0]!["kid"]!.GetValue<string>());
        var renew = await broker.PostWithBearerAsync("/v1/token/renew", a.Token);
        Assert.Equal(200, (int)renew.StatusCode);
        string renewed = (await renew.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        Assert.Equal(newKid, Kid(renewed));
        Assert.True(await broker.IsValidAsync(renewed));

        // New tokens carry the new kid.
        var c = await broker.RegisterAgentAsync();
        Assert.Equal(newKid, Kid(c.Token));
        Assert.Equal(newKid, Kid(await broker.AdminTokenAsync()));

        Assert.Equal(newKid, keys["active_kid"]!.GetValue<string>());
        var listed = keys["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        Assert.Equal(2, listed.Count);
        Assert.Equal("active", listed[0]["status"]!.GetValue<string>());
        Assert.Null(listed[0]["retires_at"]);
        Assert.Equal("EdDSA", listed[0]["alg"]!.GetValue<string>());
        Assert.Equal(Utc(rotatedAt), listed[0]["created_at"]!.GetValue<string>());
        Assert.Equal("retiring", listed[1]["status"]!.GetValue<string>());
        Assert.Equal(Utc(rotatedAt.AddSeconds(86400)), listed[1]["retires_at"]!.GetValue<string>());
        AssertOwnerOnly(broker);
        Assert.Equal(2, KeysInFile(broker));

        var audit = await broker.AuditEventsAsync("event_type=key_rotated", admin);
        var e = Assert.Single(audit["events"]!.AsArray())!;
        Assert.Equal($"signing key rotated | new_kid={newKid} | previous_kid={oldKid} | alg=EdDSA", e["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotation_SurvivesARestart()
    {
        var broker = await BrokerFixture.StartAsync();
        var a = await broker.RegisterAgentAsync();
        string newKid = (await RotateAsync(broker, await broker.AdminTokenAsync()))["active_kid"]!.GetValue<string>();
        var kids = await broker.JwksKidsAsync();

        await using var restarted = await broker.RestartAsync();

        Assert.Equal(kids, await restarted.JwksKidsAsync());
        Assert.True(await restarted.IsValidAsync(a.Token));
        Assert.Equal(newKid, Kid((await restarted.RegisterAgentAsync()).Token));
        AssertOwnerOnly(restarted);
    }

    [Fact]
    public async Task OldKey_IsNoLongerPublished_AfterTheLongestTokenLifetimeAndARestart()
    {
        var broker = await BrokerFixture.StartAsync(ShortLived);
        var a = await broker.RegisterAgentAsync(maxTtl: 120);
        string oldKid = Kid(a.Token);
        string newKid = (await RotateAsync(broker, await broker.AdminTokenAsync()))["active_kid"]!.GetValue<string>();

        // Within the longest token lifetime the old key stays published.
        broker.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(await broker.IsValidAsync(a.Token));
        Assert.Equal([newKid, oldKid], await broker.JwksKidsAsync());

        broker.Time.Advance(TimeSpan.FromSeconds(61));
        await using var restarted = await broker.RestartAsync(ShortLived);

        Assert.Equal([newKid], await restarted.JwksKidsAsync());
        Assert.False(await restarted.IsValidAsync(a.Token));
        var keys = await KeysAsync(restarted, await restarted.AdminTokenAsync());
        Assert.Equal([newKid], keys["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()));
        var fresh = await restarted.RegisterAgentAsync(maxTtl: 120);
        Assert.Equal(newKid, Kid(fresh.Token));
        Assert.True(await restarted.IsValidAsync(fresh.Token));
        Assert.Equal(1, KeysInFile(restarted));
        AssertOwnerOnly(restarted);
    }

    [Fact]
    public async Task EachRetiringKey_IsDroppedOnItsOwnSchedule_WhenRotatedTwice()
    {
        var broker = await BrokerFixture.StartAsync(ShortLived);
        string k1 = (await broker.JwksKidsAsync()).Single();
        string k2 = (await RotateAsync(broker, await broker.AdminTokenAsync()))["active_kid"]!.GetValue<string>();
        var second = broker.Time.GetUtcNow().AddSeconds(60);
        broker.Time.Advance(TimeSpan.FromSeconds(60));
        var a = await broker.RegisterAgentAsync(maxTtl: 120);
        Assert.Equal(k2, Kid(a.Token));
        string k3 = (await RotateAsync(broker, await broker.AdminTokenAsync()))["active_kid"]!.GetValue<string>();

        var keys = await KeysAsync(broker, await broker.AdminTokenAsync());
        Assert.Equal([k3, k2, k1], keys["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()));
        Assert.Equal(Utc(second.AddSeconds(120)), keys["keys"]![1]!["retires_at"]!.GetValue<string>());
        Assert.Equal(Utc(second.AddSeconds(60)), keys["keys"]![2]!["retires_at"]!.GetValue<string>());

        // 130 s after the first rotation, 70 s after the second: k1 has retired, k2 has not.
        broker.Time.Advance(TimeSpan.FromSeconds(70));
        await using var restarted = await broker.RestartAsync(ShortLived);

        Assert.Equal([k3, k2], await restarted.JwksKidsAsync());
        Assert.True(await restarted.IsValidAsync(a.Token));
        AssertOwnerOnly(restarted);
    }
}
