using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>An app as an operator holds it right after creating it (the secret is shown only then).</summary>
public sealed record TestApp(string AppId, string Name, string ClientId, string ClientSecret, string[] Scopes, int TokenTtl);

/// <summary>Calls to the broker's app endpoints (admin app CRUD, app auth, app launch tokens), shared by the app tests.</summary>
public static class AppApi
{
    /// <summary>Settings that lift the per-client app-auth limit, for tests that log in many times.</summary>
    public static Dictionary<string, string?> NoAppAuthLimit => new()
    {
        ["app_auth_rate"] = "100000",
        ["app_auth_burst"] = "100000",
    };

    /// <summary>A fresh valid app name: <paramref name="prefix"/> plus 8 hex.</summary>
    public static string UniqueName(string prefix = "app") => $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public static JsonObject AppBody(string? name, string[]? scopes, int? tokenTtl = null)
    {
        var body = new JsonObject();
        if (name is not null)
        {
            body["name"] = name;
        }

        if (scopes is not null)
        {
            body["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode?)JsonValue.Create(s))]);
        }

        if (tokenTtl is not null)
        {
            body["token_ttl"] = tokenTtl;
        }

        return body;
    }

    /// <summary><c>POST /v1/admin/apps</c> with <paramref name="body"/> and a bearer (an admin token unless given; none when <paramref name="bearer"/> is "").</summary>
    public static async Task<HttpResponseMessage> CreateAppAsync(this BrokerFixture broker, JsonNode body, string? bearer = null)
    {
        bearer ??= await broker.AdminTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps") { Content = Json(body) };
        if (bearer.Length > 0)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        return await broker.Client.SendAsync(request);
    }

    /// <summary>Creates an app and asserts 201.</summary>
    public static async Task<TestApp> CreateAppOkAsync(this BrokerFixture broker, string? name = null, string[]? scopes = null, int? tokenTtl = null, string? adminToken = null)
    {
        name ??= UniqueName();
        scopes ??= ["read:data:*", "write:data:own"];
        var response = await broker.CreateAppAsync(AppBody(name, scopes, tokenTtl), adminToken);
        var json = await ReadJsonAsync(response, 201);
        return new TestApp(
            json["app_id"]!.GetValue<string>(),
            json["name"]!.GetValue<string>(),
            json["client_id"]!.GetValue<string>(),
            json["client_secret"]!.GetValue<string>(),
            json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ToArray(),
            json["token_ttl"]!.GetValue<int>());
    }

    /// <summary><c>POST /v1/app/auth</c> with the given credentials (a null one is left out of the body).</summary>
    public static Task<HttpResponseMessage> AppAuthAsync(this BrokerFixture broker, string? clientId, string? clientSecret)
    {
        var body = new JsonObject();
        if (clientId is not null)
        {
            body["client_id"] = clientId;
        }

        if (clientSecret is not null)
        {
            body["client_secret"] = clientSecret;
        }

        return broker.Client.PostAsync("/v1/app/auth", Json(body));
    }

    /// <summary>Logs the app in and asserts 200; returns the app token.</summary>
    public static async Task<string> AppTokenAsync(this BrokerFixture broker, TestApp app, string? secret = null)
    {
        var json = await ReadJsonAsync(await broker.AppAuthAsync(app.ClientId, secret ?? app.ClientSecret), 200);
        return json["access_token"]!.GetValue<string>();
    }

    public static JsonObject LaunchBody(string[] scope, int maxTtl = 300, string agentName = "app-agent") => new()
    {
        ["agent_name"] = agentName,
        ["allowed_scope"] = new JsonArray([.. scope.Select(s => (JsonNode?)JsonValue.Create(s))]),
        ["max_ttl"] = maxTtl,
        ["single_use"] = true,
    };

    /// <summary><c>POST /v1/app/launch-tokens</c> with <paramref name="bearer"/>.</summary>
    public static async Task<HttpResponseMessage> AppLaunchTokenAsync(this BrokerFixture broker, string bearer, JsonNode body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/app/launch-tokens") { Content = Json(body) };
        request.Headers.Authorization = new("Bearer", bearer);
        return await broker.Client.SendAsync(request);
    }

    /// <summary>Creates a launch token through the app and registers an agent with it; returns the register response.</summary>
    public static async Task<JsonObject> RegisterAppAgentAsync(
        this BrokerFixture broker, string appToken, string[]? scope = null, string orchId = "orch-1", string taskId = "task-1", int maxTtl = 300)
    {
        scope ??= ["read:data:*"];
        var launch = await ReadJsonAsync(await broker.AppLaunchTokenAsync(appToken, LaunchBody(scope, maxTtl)), 201);
        var (body, key) = await broker.RegisterAsync(launch["launch_token"]!.GetValue<string>(), scope, orchId, taskId);
        key.Dispose();
        return body;
    }

    public static async Task<HttpResponseMessage> SendWithBearerAsync(this BrokerFixture broker, HttpMethod method, string path, string bearer, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = Json(body);
        }

        request.Headers.Authorization = new("Bearer", bearer);
        return await broker.Client.SendAsync(request);
    }

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, int status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static string[] Strings(JsonNode? array) => array!.AsArray().Select(s => s!.GetValue<string>()).ToArray();
}

/// <summary>One broker shared by the tests of a class, with the per-client app-auth limit lifted.</summary>
public sealed class SharedAppBroker : IAsyncLifetime
{
    public BrokerFixture Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync(AppApi.NoAppAuthLimit);

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
