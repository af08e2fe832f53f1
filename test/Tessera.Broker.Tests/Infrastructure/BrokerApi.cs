using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>A registered agent as the tests hold it.</summary>
public sealed record TestAgent(string AgentId, string Token, string TaskId, string OrchId);

/// <summary>Calls to the broker's delegation, revocation, audit and key endpoints, shared by the feature tests.</summary>
public static class BrokerApi
{
    /// <summary>Registers an agent with its own launch token; <paramref name="ttl"/> is the requested_ttl (launch max_ttl is <paramref name="maxTtl"/>).</summary>
    public static async Task<TestAgent> RegisterAgentAsync(
        this BrokerFixture broker, string[]? scope = null, string taskId = "task-1", string orchId = "orch-1",
        int? ttl = null, int maxTtl = 300, string? audience = null, string? adminToken = null)
    {
        scope ??= ["read:data:*"];
        var launchBody = new Dictionary<string, object>
        {
            ["agent_name"] = "feature-agent",
            ["allowed_scope"] = scope,
            ["max_ttl"] = maxTtl,
            ["single_use"] = true,
            ["ttl"] = 30,
        };
        if (audience is not null)
        {
            launchBody["allowed_audience"] = new[] { audience };
        }

        string launch = (await broker.CreateLaunchTokenAsync(launchBody, adminToken))["launch_token"]!.GetValue<string>();
        using var key = AgentKey.Create();
        string nonce = await broker.NonceAsync();
        var body = RegistrationTests.Body(launch, nonce, key.PublicKeyBase64, key.SignNonce(nonce), scope, orchId, taskId, ttl, audience);
        var response = await broker.Client.PostAsJsonAsync("/v1/register", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var json = JsonNode.Parse(text)!.AsObject();
        return new TestAgent(json["agent_id"]!.GetValue<string>(), json["access_token"]!.GetValue<string>(), taskId, orchId);
    }

    public static Task<HttpResponseMessage> DelegateAsync(this BrokerFixture broker, string token, string delegateTo, string[] scope, int? ttl = null)
    {
        var body = new Dictionary<string, object?> { ["delegate_to"] = delegateTo, ["scope"] = scope };
        if (ttl is not null)
        {
            body["ttl"] = ttl;
        }

        return broker.PostWithBearerAsync("/v1/delegate", token, body);
    }

    /// <summary>Delegates and asserts success; returns the response body.</summary>
    public static async Task<JsonObject> DelegateOkAsync(this BrokerFixture broker, string token, string delegateTo, string[] scope, int? ttl = null)
    {
        var response = await broker.DelegateAsync(token, delegateTo, scope, ttl);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<HttpResponseMessage> RevokeAsync(this BrokerFixture broker, string adminToken, string level, string target, string? reason = null)
    {
        var body = new Dictionary<string, object?> { ["level"] = level, ["target"] = target };
        if (reason is not null)
        {
            body["reason"] = reason;
        }

        return await broker.PostWithBearerAsync("/v1/revoke", adminToken, body);
    }

    /// <summary>Revokes and asserts success; returns the response body.</summary>
    public static async Task<JsonObject> RevokeOkAsync(this BrokerFixture broker, string adminToken, string level, string target, string? reason = null)
    {
        var response = await broker.RevokeAsync(adminToken, level, target, reason);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<HttpResponseMessage> GetWithBearerAsync(this BrokerFixture broker, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        return await broker.Client.SendAsync(request);
    }

    /// <summary><c>GET /v1/audit/events?{query}</c> with an admin token; asserts 200.</summary>
    public static async Task<JsonObject> AuditEventsAsync(this BrokerFixture broker, string query, string? adminToken = null)
    {
        adminToken ??= await broker.AdminTokenAsync();
        var response = await broker.GetWithBearerAsync("/v1/audit/events?" + query, adminToken);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<bool> IsValidAsync(this BrokerFixture broker, string token) =>
        (await broker.ValidateAsync(token))["valid"]!.GetValue<bool>();

    public static string Jti(string token) => Jwt.Payload(token)["jti"]!.GetValue<string>();

    public static string Kid(string token) => Jwt.Header(token)["kid"]!.GetValue<string>();

    public static string Q(string value) => Uri.EscapeDataString(value);

    public static async Task<List<string>> JwksKidsAsync(this BrokerFixture broker) =>
        (await broker.Client.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
}
