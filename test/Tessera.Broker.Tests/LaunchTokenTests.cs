using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class LaunchTokenTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task CreateLaunchToken_Returns201WithPolicy_WhenAdminAsks()
    {
        var body = await Broker.CreateLaunchTokenAsync(new
        {
            agent_name = "my-agent",
            allowed_scope = new[] { "read:data:*", "orders:read" },
            max_ttl = 600,
            ttl = 30,
            allowed_audience = new[] { "orders-api" },
        });

        Assert.Matches("^[0-9a-f]{64}$", body["launch_token"]!.GetValue<string>());
        var expiresAt = body["expires_at"]!.GetValue<string>();
        Assert.Matches(new Regex("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$"), expiresAt);
        var expected = Broker.Time.GetUtcNow().AddSeconds(30);
        Assert.InRange(DateTimeOffset.Parse(expiresAt), expected.AddSeconds(-2), expected.AddSeconds(1));
        var policy = body["policy"]!;
        Assert.Equal(["read:data:*", "orders:read"], policy["allowed_scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(600, policy["max_ttl"]!.GetValue<int>());
        Assert.Equal(["orders-api"], policy["allowed_audience"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(body["single_use"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CreateLaunchToken_Returns401WithChallenge_WhenNoBearer()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/admin/launch-tokens", new { agent_name = "x", allowed_scope = new[] { "a:b" } });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal("missing authorization header", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateLaunchToken_Returns403InsufficientScope_WhenCalledWithAgentToken()
    {
        var (agent, _) = await Broker.RegisterAsync();

        var response = await Broker.PostWithBearerAsync("/v1/admin/launch-tokens", agent["access_token"]!.GetValue<string>(), new { agent_name = "x", allowed_scope = new[] { "a:b" } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal("insufficient_scope", problem["error_code"]!.GetValue<string>());
        Assert.Equal("token lacks required scope: admin:launch-tokens:*", problem["detail"]!.GetValue<string>());
        Assert.Contains("insufficient_scope", response.Headers.WwwAuthenticate.ToString());
    }

    public static TheoryData<string, string, int, string, string> BadRequests => new()
    {
        { "missing agent_name", "{\"allowed_scope\":[\"a:b\"]}", 400, "invalid_request", "agent_name is required" },
        { "empty scope", "{\"agent_name\":\"x\",\"allowed_scope\":[]}", 400, "invalid_request", "allowed_scope must not be empty" },
        { "one-segment scope", "{\"agent_name\":\"x\",\"allowed_scope\":[\"read\"]}", 400, "invalid_scope_format", "invalid scope 'read': expected action:resource:identifier or resource:action" },
        { "partial wildcard", "{\"agent_name\":\"x\",\"allowed_scope\":[\"read:da*\"]}", 400, "invalid_scope_format", "invalid scope 'read:da*': '*' must be a whole segment" },
        { "max_ttl above ceiling", "{\"agent_name\":\"x\",\"allowed_scope\":[\"a:b\"],\"max_ttl\":999999}", 400, "invalid_ttl", "max_ttl exceeds the broker's ceiling of 86400 seconds" },
        { "negative max_ttl", "{\"agent_name\":\"x\",\"allowed_scope\":[\"a:b\"],\"max_ttl\":-1}", 400, "invalid_ttl", "max_ttl must be a positive number of seconds" },
        { "zero ttl", "{\"agent_name\":\"x\",\"allowed_scope\":[\"a:b\"],\"ttl\":0}", 400, "invalid_ttl", "ttl must be between 1 and 604800 seconds" },
        { "max_ttl as string", "{\"agent_name\":\"x\",\"allowed_scope\":[\"a:b\"],\"max_ttl\":\"300\"}", 400, "invalid_request", "malformed JSON body: field 'max_ttl' has the wrong type or value" },
        { "audience with space", "{\"agent_name\":\"x\",\"allowed_scope\":[\"a:b\"],\"allowed_audience\":[\"a b\"]}", 400, "invalid_request", "allowed_audience entries must be non-empty strings of at most 256 characters without spaces" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task CreateLaunchToken_ReturnsCodeAndDetail_WhenRequestIsInvalid(string name, string json, int status, string code, string detail)
    {
        _ = name;
        string admin = await Broker.AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/launch-tokens") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", admin);

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal(code, problem["error_code"]!.GetValue<string>());
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
    }
}
