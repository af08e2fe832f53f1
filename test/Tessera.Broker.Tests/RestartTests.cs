using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task TokenIssuedBeforeRestart_StillValidates_AndReleasesStayReleased()
    {
        var broker = await BrokerFixture.StartAsync();
        var (agent, _) = await broker.RegisterAsync();
        var (released, _) = await broker.RegisterAsync();
        string token = agent["access_token"]!.GetValue<string>();
        string dead = released["access_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await broker.PostWithBearerAsync("/v1/token/release", dead)).StatusCode);
        var jwksBefore = await broker.Client.GetStringAsync("/.well-known/jwks.json");
        long eventsBefore = (await broker.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!["audit_events_count"]!.GetValue<long>();

        await using var restarted = await broker.RestartAsync();

        Assert.True((await restarted.ValidateAsync(token))["valid"]!.GetValue<bool>());
        Assert.False((await restarted.ValidateAsync(dead))["valid"]!.GetValue<bool>());
        Assert.Equal(jwksBefore, await restarted.Client.GetStringAsync("/.well-known/jwks.json"));
        var health = (await restarted.Client.GetFromJsonAsync<JsonObject>("/v1/health"))!;
        Assert.True(health["audit_events_count"]!.GetValue<long>() >= eventsBefore);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(restarted.Directory, "signing-key.json")));
        }
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task ChangingAlgorithm_CreatesNewActiveKey_AndKeepsTheOldOnePublished(string alg)
    {
        var broker = await BrokerFixture.StartAsync();
        string oldKid = Jwt.Header((await broker.RegisterAsync()).Body["access_token"]!.GetValue<string>())["kid"]!.GetValue<string>();

        await using var restarted = await broker.RestartAsync(new Dictionary<string, string?> { ["signing_alg"] = alg });
        string token = (await restarted.RegisterAsync()).Body["access_token"]!.GetValue<string>();

        Assert.Equal(alg, Jwt.Header(token)["alg"]!.GetValue<string>());
        Assert.True((await restarted.ValidateAsync(token))["valid"]!.GetValue<bool>());
        var kids = (await restarted.Client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
        Assert.Contains(oldKid, kids);
        Assert.Equal(Jwt.Header(token)["kid"]!.GetValue<string>(), kids[0]);
    }
}
