using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary><c>POST /v1/enforcement/reports</c>: outcomes recorded, and automatic suspension after consecutive permission denials (default 50).</summary>
public sealed class EnforcementReportTests(SharedCredentialBroker shared) : IClassFixture<SharedCredentialBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Report_SuspendsTheAgent_WhenOneEventCarries50Denials()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var response = await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 50)));

        Assert.Null(response.Headers.Location);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var json = await ReadJsonAsync(response, 202);
        Assert.Equal(1, json["accepted"]!.GetValue<int>());
        Assert.Equal(0, json["ignored"]!.GetValue<int>());
        Assert.Equal([agent.AgentId], Strings(json["suspended"]));
        await AssertSuspendedAsync(platform, agent, admin);
    }

    [Fact]
    public async Task Report_SuspendsTheAgent_When50SingleDenialsArriveAcrossTwoReports()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var first = await ReadJsonAsync(await Broker.ReportAsync(platform, Events([.. Enumerable.Range(0, 25).Select(_ => Denied(agent.AgentId))])), 202);

        Assert.Equal(25, first["accepted"]!.GetValue<int>());
        Assert.Empty(first["suspended"]!.AsArray());
        var midway = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("active", midway["status"]!.GetValue<string>());
        Assert.Equal(25, midway["consecutive_denials"]!.GetValue<int>());
        await Broker.ExchangeOkAsync(agent, platform.PlatformId);

        var second = await ReadJsonAsync(await Broker.ReportAsync(platform, Events([.. Enumerable.Range(0, 25).Select(_ => Denied(agent.AgentId))])), 202);

        Assert.Equal([agent.AgentId], Strings(second["suspended"]));
        Assert.Equal(50, (await Broker.AuditAsync("enforcement_denied", agent.AgentId, admin)).Count);
        await AssertSuspendedAsync(platform, agent, admin);
    }

    [Fact]
    public async Task Report_SuspendsExactlyOnce_WhenTwoReportsCrossTheThresholdConcurrently()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 25)))));

        var bodies = await Task.WhenAll(responses.Select(r => ReadJsonAsync(r, 202)));
        Assert.Equal(1, bodies.Count(b => b["suspended"]!.AsArray().Count == 1));
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("suspended", view["status"]!.GetValue<string>());
        Assert.Equal(100, view["consecutive_denials"]!.GetValue<int>());
        Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
    }

    [Fact]
    public async Task Report_ResetsTheCount_WhenAnAllowedOutcomeComesBetweenDenials()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var inOne = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 49), Allowed(agent.AgentId), Denied(agent.AgentId, 30))), 202);
        Assert.Empty(inOne["suspended"]!.AsArray());
        Assert.Equal(30, (await Broker.GetAgentAsync(agent.KeyId, admin))["consecutive_denials"]!.GetValue<int>());

        await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Allowed(agent.AgentId))), 202);
        Assert.Equal(0, (await Broker.GetAgentAsync(agent.KeyId, admin))["consecutive_denials"]!.GetValue<int>());
        var next = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 49))), 202);

        Assert.Empty(next["suspended"]!.AsArray());
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("active", view["status"]!.GetValue<string>());
        Assert.Equal(49, view["consecutive_denials"]!.GetValue<int>());
        var allowed = await Broker.AuditAsync("enforcement_allowed", agent.AgentId, admin);
        Assert.Equal(2, allowed.Count);
        Assert.All(allowed, e => Assert.StartsWith("GET /orders", e["detail"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.All(allowed, e => Assert.Equal(platform.PlatformId, e["resource"]!.GetValue<string>()));
        Assert.Empty(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
    }

    [Fact]
    public async Task Report_DoesNotCount_DenialsForOtherReasons()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var json = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 100, "INVALID_TOKEN"), Denied(agent.AgentId, 100, "TOKEN_EXPIRED"))), 202);

        Assert.Equal(2, json["accepted"]!.GetValue<int>());
        Assert.Empty(json["suspended"]!.AsArray());
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("active", view["status"]!.GetValue<string>());
        Assert.Equal(0, view["consecutive_denials"]!.GetValue<int>());
        Assert.Equal(2, (await Broker.AuditAsync("enforcement_denied", agent.AgentId, admin)).Count);
    }

    [Fact]
    public async Task Unsuspend_RestoresExchange_AndStartsTheCountAfresh()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 60))), 202);

        var view = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/unsuspend", adminToken: admin);

        Assert.Equal("active", view["status"]!.GetValue<string>());
        Assert.Equal(0, view["consecutive_denials"]!.GetValue<int>());
        await Broker.ExchangeOkAsync(agent, platform.PlatformId);
        var again = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 49))), 202);
        Assert.Empty(again["suspended"]!.AsArray());
        await Broker.ExchangeOkAsync(agent, platform.PlatformId);
    }

    [Fact]
    public async Task Report_IgnoresAgentsNotGrantedOnTheReportingPlatform()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var stranger = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var bystander = await Broker.CreateAgentOkAsync(adminToken: admin);

        var json = await ReadJsonAsync(
            await Broker.ReportAsync(stranger, Events(Denied(agent.AgentId, 1000), Denied(agent.AgentId, 1000), Denied(bystander.AgentId, 500), Denied("spiffe://tessera.test/agent/cred/ghost/0000000000000000", 99))),
            202);

        Assert.Equal(0, json["accepted"]!.GetValue<int>());
        Assert.Equal(4, json["ignored"]!.GetValue<int>());
        Assert.Empty(json["suspended"]!.AsArray());
        foreach (var who in new[] { agent, bystander })
        {
            var view = await Broker.GetAgentAsync(who.KeyId, admin);
            Assert.Equal("active", view["status"]!.GetValue<string>());
            Assert.Equal(0, view["consecutive_denials"]!.GetValue<int>());
        }

        await Broker.ExchangeOkAsync(agent, platform.PlatformId);
        var mixed = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId), Denied(bystander.AgentId, 50))), 202);
        Assert.Equal(1, mixed["accepted"]!.GetValue<int>());
        Assert.Equal(1, mixed["ignored"]!.GetValue<int>());
        Assert.Equal("active", (await Broker.GetAgentAsync(bystander.KeyId, admin))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Report_Returns202AndChangesNothing_WhenEventsAreEmpty()
    {
        var (platform, _) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());

        var json = await ReadJsonAsync(await Broker.ReportAsync(platform, Events()), 202);

        Assert.Equal(0, json["accepted"]!.GetValue<int>());
        Assert.Equal(0, json["ignored"]!.GetValue<int>());
    }

    [Fact]
    public async Task Report_Returns400_WhenThereAreMoreThan1000Events()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var response = await Broker.ReportAsync(platform, Events([.. Enumerable.Range(0, 1001).Select(_ => Denied(agent.AgentId))]));

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.Contains("1000", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, (await Broker.GetAgentAsync(agent.KeyId, admin))["consecutive_denials"]!.GetValue<int>());
        Assert.Empty(await Broker.AuditAsync("enforcement_denied", agent.AgentId, admin));
    }

    [Fact]
    public async Task Report_Accepts1000Events_AtTheLimit()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var json = await ReadJsonAsync(await Broker.ReportAsync(platform, Events([.. Enumerable.Range(0, 1000).Select(_ => Allowed(agent.AgentId))])), 202);

        Assert.Equal(1000, json["accepted"]!.GetValue<int>());
    }

    public static TheoryData<string, string, string> BadEvents => new()
    {
        { "no agent_id", """{"outcome":"denied","method":"GET","route":"/a"}""", "agent_id is required" },
        { "unknown outcome", """{"agent_id":"x","outcome":"maybe","method":"GET","route":"/a"}""", "outcome must be allowed or denied" },
        { "lower-case method", """{"agent_id":"x","outcome":"denied","method":"get","route":"/a"}""", "method must be an upper-case HTTP method" },
        { "no route", """{"agent_id":"x","outcome":"denied","method":"GET"}""", "route is required" },
        { "count zero", """{"agent_id":"x","outcome":"denied","method":"GET","route":"/a","count":0}""", "count must be between 1 and 1000000" },
        { "count too big", """{"agent_id":"x","outcome":"denied","method":"GET","route":"/a","count":1000001}""", "count must be between 1 and 1000000" },
        { "long error code", $$"""{"agent_id":"x","outcome":"denied","method":"GET","route":"/a","error_code":"{{new string('E', 65)}}"}""", "error_code is at most 64 characters" },
        { "null event", "null", "must be an object" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task Report_Returns400NamingEventsIndex_WhenAnEventIsInvalid(string name, string bad, string detail)
    {
        _ = name;
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var response = await Broker.ReportAsync(platform, new JsonArray(Denied(agent.AgentId, 50), Allowed(agent.AgentId), JsonNode.Parse(bad)));

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.StartsWith($"events[2]: {detail}", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("active", view["status"]!.GetValue<string>());
        Assert.Empty(await Broker.AuditAsync("enforcement_denied", agent.AgentId, admin));
    }

    [Fact]
    public async Task Report_Returns400_WhenEventsAreMissing()
    {
        var (platform, _) = await Broker.PlatformWithAgentAsync(adminToken: await shared.AdminTokenAsync());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/enforcement/reports") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = Basic(platform.ClientId, platform.ClientSecret);

        var response = await Broker.Client.SendAsync(request);

        await AssertProblemCode(response, 400, "invalid_request");
    }

    [Fact]
    public async Task Report_Returns401_WhenCredentialsAreNotThePlatforms()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var events = Events(Denied(agent.AgentId, 50));

        var wrongSecret = await Broker.ReportAsync(platform.ClientId, other.ClientSecret, events);
        var agentCredentials = await Broker.ReportAsync(agent.KeyId, agent.Secret!, events);
        var unknown = await Broker.ReportAsync("tsr_kid_" + new string('a', 32), platform.ClientSecret, events);
        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/v1/enforcement/reports") { Content = Json(new JsonObject { ["events"] = events.DeepClone() }) };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var adminToken = await Broker.Client.SendAsync(bearer);
        var none = await Broker.Client.PostAsync("/v1/enforcement/reports", Json(new JsonObject { ["events"] = events.DeepClone() }));

        foreach (var response in new[] { wrongSecret, agentCredentials, unknown, adminToken, none })
        {
            await AssertProblemCode(response, 401, "invalid_client");
            Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }

        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("active", view["status"]!.GetValue<string>());
        Assert.Equal(0, view["consecutive_denials"]!.GetValue<int>());
    }

    [Fact]
    public async Task Report_Returns401_WhenThePlatformWasRemoved()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        await Broker.AdminOkAsync(HttpMethod.Delete, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin);

        var response = await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 50)));

        await AssertProblemCode(response, 401, "invalid_client");
    }

    [Fact]
    public async Task Report_AcceptsTheRotatedSecret_AndTheOldOneInsideItsGrace()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var rotated = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/platforms/{platform.PlatformId}/rotate-secret", new JsonObject { ["grace_seconds"] = 60 }, adminToken: admin);

        await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Allowed(agent.AgentId))), 202);
        await ReadJsonAsync(await Broker.ReportAsync(platform with { ClientSecret = rotated["client_secret"]!.GetValue<string>() }, Events(Allowed(agent.AgentId))), 202);
    }

    private async Task AssertSuspendedAsync(TestPlatform platform, TestCredentialAgent agent, string admin)
    {
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("suspended", view["status"]!.GetValue<string>());
        Assert.Contains("automatic", view["status_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var suspended = Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
        Assert.Contains("automatic", suspended["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(platform.PlatformId, suspended["resource"]!.GetValue<string>());
        Assert.NotEmpty(await Broker.AuditAsync("enforcement_denied", agent.AgentId, admin));
        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), UnauthorizedClientStatus, "unauthorized_client", "agent_suspended");

        // Further denials do not suspend (or audit) the agent twice.
        var more = await ReadJsonAsync(await Broker.ReportAsync(platform, Events(Denied(agent.AgentId, 50))), 202);
        Assert.Empty(more["suspended"]!.AsArray());
        Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
    }
}

/// <summary>Automatic suspension with TESSERA_SUSPEND_AFTER_DENIALS set through configuration.</summary>
public sealed class EnforcementThresholdTests
{
    [Fact]
    public async Task Report_SuspendsAtTheConfiguredThreshold()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?>(CredentialApi.NoExchangeLimits) { ["suspend_after_denials"] = "3" });
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        var two = await ReadJsonAsync(await broker.ReportAsync(platform, Events(Denied(agent.AgentId), Denied(agent.AgentId))), 202);
        Assert.Empty(two["suspended"]!.AsArray());
        var three = await ReadJsonAsync(await broker.ReportAsync(platform, Events(Denied(agent.AgentId))), 202);

        Assert.Equal([agent.AgentId], Strings(three["suspended"]));
        var view = await broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal("suspended", view["status"]!.GetValue<string>());
        Assert.Contains("automatic", view["status_reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertOAuthError(await broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), UnauthorizedClientStatus, "unauthorized_client", "agent_suspended");
    }

    [Fact]
    public async Task Report_NeverSuspends_WhenThresholdIsZero()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?>(CredentialApi.NoExchangeLimits) { ["suspend_after_denials"] = "0" });
        string admin = await broker.AdminTokenAsync();
        var (platform, agent) = await broker.PlatformWithAgentAsync(adminToken: admin);

        var json = await ReadJsonAsync(await broker.ReportAsync(platform, Events(Denied(agent.AgentId, 1_000_000))), 202);

        Assert.Empty(json["suspended"]!.AsArray());
        Assert.Equal("active", (await broker.GetAgentAsync(agent.KeyId, admin))["status"]!.GetValue<string>());
        await broker.ExchangeOkAsync(agent, platform.PlatformId);
    }
}
