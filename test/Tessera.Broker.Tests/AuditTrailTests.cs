using System.Net.Http.Json;
using Tessera.Audit;
using Tessera.Broker.Tests.Infrastructure;
using Tessera.Storage.Audit;
using Tessera.Storage.Sqlite;

namespace Tessera.Broker.Tests;

public sealed class AuditTrailTests
{
    [Fact]
    public async Task EveryAcknowledgedOperation_IsInTheChain_BeforeTheResponse()
    {
        await using var broker = await BrokerFixture.StartAsync();
        await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "a-wrong-secret-that-is-long" });
        string launch = await broker.LaunchTokenAsync(["read:data:*"]);
        using var key = AgentKey.Create();
        string nonce = await broker.NonceAsync();
        await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["write:data:*"]));
        var (agent, _) = await broker.RegisterAsync(launch);
        string token = agent["access_token"]!.GetValue<string>();
        var renewed = await broker.PostWithBearerAsync("/v1/token/renew", token);
        string next = (await renewed.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["access_token"]!.GetValue<string>();
        await broker.PostWithBearerAsync("/v1/token/release", next);
        await broker.ValidateAsync("garbage.token.here");

        // Read the database directly, while the broker still runs: the events are already committed.
        using var db = SqliteDatabase.Open(broker.DbPath);
        var events = await new SqliteAuditStore(db).ReadAsync(0, 1000, CancellationToken.None);
        var types = events.Select(e => e.EventType).ToList();
        Assert.Equal(
            ["admin_auth_failed", "admin_auth", "launch_token_issued", "registration_policy_violation", "agent_registered", "token_issued", "token_renewed", "token_released", "token_auth_failed"],
            types);
        var registered = events.Single(e => e.EventType == "agent_registered");
        Assert.Equal(agent["agent_id"]!.GetValue<string>(), registered.AgentId);
        Assert.Equal("task-1", registered.TaskId);
        Assert.Equal("success", registered.Outcome);
        Assert.Equal("denied", events.Single(e => e.EventType == "registration_policy_violation").Outcome);

        string prev = AuditChain.GenesisHash;
        foreach (var e in events)
        {
            Assert.Equal(prev, e.PrevHash);
            Assert.Equal(AuditChain.ComputeHash(e), e.Hash);
            prev = e.Hash;
        }
    }
}
