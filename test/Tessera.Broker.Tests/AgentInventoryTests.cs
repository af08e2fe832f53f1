using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>
/// <c>GET /v1/admin/agents</c> lists both kinds of agent (registered with a launch token, and with
/// standing credentials), with filters, search and cursor paging.
/// </summary>
public sealed class AgentInventoryTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task LastSeenAt_IsWhenEachKindWasLastIssuedAToken_OnceTheBatchIsWritten()
    {
        string admin = await Broker.AdminTokenAsync();
        string orch = "seen-" + Guid.NewGuid().ToString("N")[..8];
        var registered = await Broker.RegisterAgentAsync(orchId: orch, adminToken: admin);
        var (platform, credential) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var activity = Broker.Services.GetRequiredService<Tessera.Broker.Activity.AgentActivity>();
        await activity.FlushAsync(CancellationToken.None);
        var before = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?search={credential.KeyId}", adminToken: admin);

        Broker.Time.Advance(TimeSpan.FromMinutes(1));
        await Broker.ExchangeOkAsync(credential, platform.PlatformId);
        var renewed = await Broker.PostWithBearerAsync("/v1/token/renew", registered.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, renewed.StatusCode);
        await activity.FlushAsync(CancellationToken.None);
        string expected = Broker.Time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

        var listed = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?orch_id={orch}", adminToken: admin);
        var credentialListed = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?search={credential.KeyId}", adminToken: admin);
        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents/{Uri.EscapeDataString(registered.AgentId)}", adminToken: admin);

        // Registration issued the first token, a minute earlier; the credential agent had none yet.
        Assert.Null(before["agents"]![0]!["last_seen_at"]);
        Assert.Equal(expected, listed["agents"]![0]!["last_seen_at"]!.GetValue<string>());
        Assert.Equal(expected, credentialListed["agents"]![0]!["last_seen_at"]!.GetValue<string>());
        Assert.Equal(expected, shown["last_seen_at"]!.GetValue<string>());
    }

    [Fact]
    public async Task Suspend_ChangesARegisteredAgentOnce_WhenTwentyRequestsRace()
    {
        string admin = await Broker.AdminTokenAsync();
        var agent = await Broker.RegisterAgentAsync(orchId: "race-" + Guid.NewGuid().ToString("N")[..8], adminToken: admin);
        string id = Uri.EscapeDataString(agent.AgentId);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{id}/suspend", adminToken: admin)));

        Assert.All(answers, a => Assert.Equal(System.Net.HttpStatusCode.OK, a.StatusCode));
        foreach (var answer in answers)
        {
            Assert.Equal("suspended", System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        }

        Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
    }

    [Fact]
    public async Task List_ReturnsExactlyTheMatchingAgentsOfBothKinds_WhenFiltered()
    {
        string admin = await Broker.AdminTokenAsync();
        string orch = UniqueId("orch");
        var registered = await Broker.RegisterAgentAsync(taskId: "task-x", orchId: orch, adminToken: admin);
        var other = await Broker.RegisterAgentAsync(taskId: "task-y", orchId: orch, adminToken: admin);
        var (_, credential) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var byOrch = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?orch_id={orch}", adminToken: admin);
        var byTask = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?orch_id={orch}&task_id=task-y&kind=registered&status=active", adminToken: admin);
        var byKey = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?search={credential.KeyId.ToUpperInvariant()}", adminToken: admin);
        var credentialOnly = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?kind=credential&orch_id={orch}", adminToken: admin);

        Assert.Equal([registered.AgentId, other.AgentId], Ids(byOrch));
        Assert.Equal(2, byOrch["total"]!.GetValue<long>());
        Assert.Null(byOrch["next_cursor"]);
        var item = byOrch["agents"]![0]!.AsObject();
        Assert.Equal("registered", item["kind"]!.GetValue<string>());
        Assert.Equal(orch, item["orch_id"]!.GetValue<string>());
        Assert.Equal("task-x", item["task_id"]!.GetValue<string>());
        Assert.Equal("active", item["status"]!.GetValue<string>());
        Assert.Null(item["key_id"]);
        Assert.False(item.ContainsKey("grants"));
        Assert.Equal([other.AgentId], Ids(byTask));
        var found = Assert.Single(byKey["agents"]!.AsArray())!.AsObject();
        Assert.Equal("credential", found["kind"]!.GetValue<string>());
        Assert.Equal(credential.AgentId, found["agent_id"]!.GetValue<string>());
        Assert.Equal(credential.KeyId, found["key_id"]!.GetValue<string>());
        Assert.Single(found["grants"]!.AsArray());
        Assert.Empty(credentialOnly["agents"]!.AsArray());
    }

    [Fact]
    public async Task List_VisitsEveryAgentOnce_WhenPagingWithTheCursor()
    {
        string admin = await Broker.AdminTokenAsync();
        string orch = UniqueId("pages");
        var expected = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            expected.Add((await Broker.RegisterAgentAsync(taskId: $"task-{i}", orchId: orch, adminToken: admin)).AgentId);
        }

        var seen = new List<string>();
        string path = $"/v1/admin/agents?orch_id={orch}&limit=2";
        int pages = 0;
        while (true)
        {
            var page = await Broker.AdminOkAsync(HttpMethod.Get, path, adminToken: admin);
            pages++;
            Assert.Equal(5, page["total"]!.GetValue<long>());
            seen.AddRange(Ids(page));
            if (page["next_cursor"]?.GetValue<string>() is not { } cursor)
            {
                break;
            }

            path = $"/v1/admin/agents?orch_id={orch}&limit=2&cursor={Uri.EscapeDataString(cursor)}";
        }

        Assert.Equal(3, pages);
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(5, seen.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("kind=robot", "kind")]
    [InlineData("status=paused", "status")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("search=", "search")]
    [InlineData("app_id=a&app_id=b", "app_id")]
    public async Task List_Returns400InvalidRequestNamingTheParameter_WhenParameterIsInvalid(string query, string parameter)
    {
        var response = await Broker.AdminAsync(HttpMethod.Get, "/v1/admin/agents?" + query, adminToken: await Broker.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.StartsWith($"invalid {parameter}:", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuspendAndRevoke_StopARegisteredAgentsTokens_WhenDoneFromTheInventory()
    {
        string admin = await Broker.AdminTokenAsync();
        string orch = UniqueId("lifecycle");
        var agent = await Broker.RegisterAgentAsync(orchId: orch, adminToken: admin);
        string id = Uri.EscapeDataString(agent.AgentId);

        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents/{id}", adminToken: admin);
        var suspended = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{id}/suspend", adminToken: admin);
        var listed = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/agents?orch_id={orch}&status=suspended", adminToken: admin);
        bool validWhileSuspended = await Broker.IsValidAsync(agent.Token);
        var renew = await Broker.PostWithBearerAsync("/v1/token/renew", agent.Token);
        var unsuspended = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{id}/unsuspend", adminToken: admin);
        var revoked = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{id}/revoke", new JsonObject { ["reason"] = "done" }, adminToken: admin);
        var again = await Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{id}/unsuspend", adminToken: admin);

        Assert.Equal("registered", shown["kind"]!.GetValue<string>());
        Assert.Equal(orch, shown["orch_id"]!.GetValue<string>());
        Assert.Equal("suspended", suspended["status"]!.GetValue<string>());
        Assert.Equal([agent.AgentId], Ids(listed));
        Assert.False(validWhileSuspended);
        Assert.False(renew.IsSuccessStatusCode);
        Assert.Equal("active", unsuspended["status"]!.GetValue<string>());
        Assert.Equal("revoked", revoked["status"]!.GetValue<string>());
        await AssertProblemCode(again, 409, "conflict");
        Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
        Assert.Single(await Broker.AuditAsync("agent_revoked", agent.AgentId, admin));
    }

    private static string[] Ids(JsonObject page) => [.. page["agents"]!.AsArray().Select(a => a!["agent_id"]!.GetValue<string>())];
}
