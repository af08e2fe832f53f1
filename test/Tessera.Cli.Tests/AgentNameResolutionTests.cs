using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Cli.Admin;

namespace Tessera.Cli.Tests;

/// <summary>
/// Verbs that take an agent accept its name: exactly one agent with that name stands for its agent id;
/// none or several refuse, and a revocation never goes out for a name the broker would match against nothing.
/// </summary>
public sealed class AgentNameResolutionTests(CredentialsBrokerFixture fixture) : IClassFixture<CredentialsBrokerFixture>
{
    private const string Secret = CliBroker.AdminSecret;
    private static readonly CancellationToken None = CancellationToken.None;

    private string Url => fixture.Url;

    [Fact]
    public async Task Revoke_RevokesTheAgentTheNameStandsFor_WhenExactlyOneAgentHasIt()
    {
        var (name, agentId, keyId) = await CreateAgentAsync();

        var result = await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, "agent", name, "incident 7", false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        var lines = Cli.Lines(result.Out);
        Assert.Equal($"agent '{name}' is {agentId}", lines[0]);
        Assert.Matches($"^revoked agent {System.Text.RegularExpressions.Regex.Escape(agentId)} \\(feed seq \\d+\\)$", lines[1]);
        Assert.Empty(result.Err);
        Assert.Equal("revoked", await StatusAsync(keyId));
    }

    [Fact]
    public async Task Revoke_RevokesTheAgent_WhenTheTargetIsItsKeyId()
    {
        var (_, agentId, keyId) = await CreateAgentAsync();

        var result = await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, "chain", keyId, null, true, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        Assert.Equal(agentId, JsonNode.Parse(result.Out)!["target"]!.GetValue<string>());
        Assert.Equal($"agent '{keyId}' is {agentId}", Cli.FirstLine(result.Err));
    }

    [Fact]
    public async Task Revoke_RefusesAndSendsNothing_WhenNoAgentHasTheName()
    {
        string name = "invoice-bot-" + Guid.NewGuid().ToString("N")[..8];

        var result = await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, "agent", name, null, false, o, e, None, Secret));

        Assert.Equal(1, result.Code);
        Assert.Empty(result.Out);
        string line = Cli.FirstLine(result.Err);
        Assert.StartsWith($"error: no agent named '{name}'", line, StringComparison.Ordinal);
        Assert.Contains("tessera agents list", line, StringComparison.Ordinal);
        using var admin = new BrokerClient(new Uri(Url), Secret);
        var revoked = await admin.SendAsync(HttpMethod.Get, "/v1/audit/events?event_type=token_revoked&limit=1000", null, None);
        Assert.DoesNotContain(name, revoked!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_WarnsButRecords_WhenTheAgentIdIsUnknownToTheBroker()
    {
        string unknown = "spiffe://tessera.test/agent/nobody/" + Guid.NewGuid().ToString("N");

        var result = await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, "agent", unknown, null, false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith($"revoked agent {unknown} ", result.Out, StringComparison.Ordinal);
        Assert.StartsWith($"warning: the broker knows no agent {unknown}", Cli.FirstLine(result.Err), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_SaysNothingMore_WhenTheAgentIdIsARegisteredAgent()
    {
        var created = await Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(Url, "registered-bot", ["read:data:*"], [], null, null, false, true, o, e, None, Secret));
        Assert.True(created.Code == 0, created.ToString());
        string launch = JsonNode.Parse(created.Out)!["launch_token"]!.GetValue<string>();
        var (agentId, _) = await AgentRegistration.RegisterAsync(fixture.Broker.Client, launch, "task-" + Guid.NewGuid().ToString("N")[..8], "read:data:x");

        var result = await Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, "agent", agentId, null, false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith($"revoked agent {agentId} ", Assert.Single(Cli.Lines(result.Out)), StringComparison.Ordinal);
        Assert.Empty(result.Err);
    }

    [Fact]
    public async Task AgentsSuspend_SuspendsTheAgentTheNameStandsFor()
    {
        var (name, agentId, keyId) = await CreateAgentAsync();

        var result = await Cli.RunAsync((o, e) => AgentsCommand.ChangeStatusAsync(Url, name, "suspend", "paused", false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        Assert.Equal($"agent '{name}' is {agentId}", Cli.FirstLine(result.Out));
        Assert.Equal("suspended", await StatusAsync(keyId));
    }

    [Fact]
    public async Task AgentsShow_RefusesNamingTheCandidates_WhenSeveralAgentsHaveTheName()
    {
        using var handler = new TwoAgentsNamedAlike();
        using var client = new BrokerClient(new Uri("http://broker.test"), Secret, handler);
        var notes = new StringWriter();

        var refusal = await Assert.ThrowsAsync<CliConfigurationException>(() => AgentTarget.ResolveNameAsync(client, "twin", notes, None));

        Assert.Equal(
            "2 agents are named 'twin': spiffe://tessera.test/cred/a, spiffe://tessera.test/cred/b; give the agent_id of the one you mean",
            refusal.Message);
        Assert.Empty(notes.ToString());
    }

    [Fact]
    public async Task ResolveName_FindsTheAgent_WhenItIsOnALaterPageOfTheSearch()
    {
        using var handler = new NameOnSecondPage();
        using var client = new BrokerClient(new Uri("http://broker.test"), Secret, handler);
        var notes = new StringWriter();

        string id = await AgentTarget.ResolveNameAsync(client, "bot", notes, None);

        Assert.Equal("spiffe://tessera.test/cred/exact", id);
        Assert.Equal(["", "&cursor=page2"], handler.Cursors);
        Assert.Equal("agent 'bot' is spiffe://tessera.test/cred/exact", notes.ToString().TrimEnd());
    }

    private async Task<(string Name, string AgentId, string KeyId)> CreateAgentAsync()
    {
        string name = "invoice-bot-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Cli.RunAsync((o, e) => AgentsCommand.CreateAsync(Url, name, new AgentDetails(), true, o, e, None, Secret));
        Assert.True(created.Code == 0, created.ToString());
        var json = JsonNode.Parse(created.Out)!;
        return (name, json["agent_id"]!.GetValue<string>(), json["key_id"]!.GetValue<string>());
    }

    private async Task<string> StatusAsync(string keyId)
    {
        var shown = await Cli.RunAsync((o, e) => AgentsCommand.SendAsync(Url, HttpMethod.Get, AgentsCommand.Path(keyId), null, true, o, e, None, Secret));
        return JsonNode.Parse(shown.Out)!["status"]!.GetValue<string>();
    }

    /// <summary>A broker stand-in whose agent list has two agents with one name (the real broker keeps names unique).</summary>
    private sealed class TwoAgentsNamedAlike : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = request.RequestUri!.AbsolutePath == "/v1/admin/auth"
                ? """{"access_token":"t","expires_in":300,"token_type":"Bearer"}"""
                : """{"agents":[{"agent_id":"spiffe://tessera.test/cred/a","name":"twin"},{"agent_id":"spiffe://tessera.test/cred/b","name":"twin"},{"agent_id":"spiffe://tessera.test/cred/c","name":"other"}],"total":3}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    /// <summary>A search for "bot" whose first page holds only longer names containing it, the exact name on the second.</summary>
    private sealed class NameOnSecondPage : HttpMessageHandler
    {
        public List<string> Cursors { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body;
            if (request.RequestUri!.AbsolutePath == "/v1/admin/auth")
            {
                body = """{"access_token":"t","expires_in":300,"token_type":"Bearer"}""";
            }
            else
            {
                string query = request.RequestUri.Query;
                int at = query.IndexOf("&cursor=", StringComparison.Ordinal);
                Cursors.Add(at < 0 ? "" : query[at..]);
                body = at < 0
                    ? "{\"agents\":[" + string.Join(',', Enumerable.Range(0, 500).Select(i => $"{{\"agent_id\":\"spiffe://tessera.test/cred/{i}\",\"name\":\"bot-{i}\"}}")) + "],\"total\":501,\"next_cursor\":\"page2\"}"
                    : """{"agents":[{"agent_id":"spiffe://tessera.test/cred/exact","name":"bot"}],"total":501,"next_cursor":null}""";
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
