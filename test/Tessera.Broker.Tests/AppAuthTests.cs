using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

/// <summary>What an app does with its credentials: <c>POST /v1/app/auth</c>, <c>POST /v1/app/launch-tokens</c>, and deregistration's effect on both.</summary>
public sealed class AppAuthTests(SharedAppBroker shared) : IClassFixture<SharedAppBroker>
{
    private static readonly string[] AppScopes = ["app:launch-tokens:*", "app:agents:*", "app:audit:read"];

    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Auth_Returns200AppToken_WhenCredentialsAreRight()
    {
        var app = await Broker.CreateAppOkAsync(tokenTtl: 900);

        var response = await Broker.AppAuthAsync(app.ClientId, app.ClientSecret);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(["access_token", "expires_in", "token_type", "scopes"], json.Select(p => p.Key));
        Assert.Equal(900, json["expires_in"]!.GetValue<int>());
        Assert.Equal("Bearer", json["token_type"]!.GetValue<string>());
        Assert.Equal(AppScopes, Strings(json["scopes"]));
        string token = json["access_token"]!.GetValue<string>();
        var payload = Jwt.Payload(token);
        Assert.Equal($"app:{app.AppId}", payload["sub"]!.GetValue<string>());
        Assert.Equal(app.AppId, payload["app_id"]!.GetValue<string>());
        Assert.Equal("http://tessera.test", payload["iss"]!.GetValue<string>());
        Assert.Equal("http://tessera.test", payload["aud"] is JsonArray aud ? aud.Single()!.GetValue<string>() : payload["aud"]!.GetValue<string>());
        Assert.Equal(string.Join(' ', AppScopes), payload["scope"]!.GetValue<string>());
        Assert.Equal(900, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task Validate_ShowsAppClaims_WithEmptyTaskAndOrch_ForAnAppToken()
    {
        var app = await Broker.CreateAppOkAsync();
        string token = await Broker.AppTokenAsync(app);

        var result = await Broker.ValidateAsync(token);

        Assert.True(result["valid"]!.GetValue<bool>());
        var claims = result["claims"]!.AsObject();
        Assert.Equal($"app:{app.AppId}", claims["sub"]!.GetValue<string>());
        Assert.Equal(app.AppId, claims["app_id"]!.GetValue<string>());
        Assert.Equal(AppScopes, Strings(claims["scope"]));
        Assert.Equal("", claims["task_id"]!.GetValue<string>());
        Assert.Equal("", claims["orch_id"]!.GetValue<string>());
        Assert.Equal(BrokerApi.Jti(token), claims["jti"]!.GetValue<string>());
    }

    [Fact]
    public async Task Auth_Returns401WithOneGenericAnswer_ForUnknownIdWrongSecretAndDeregisteredApp()
    {
        var app = await Broker.CreateAppOkAsync();
        var gone = await Broker.CreateAppOkAsync();
        await ReadJsonAsync(await Broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + gone.AppId, await Broker.AdminTokenAsync()), 200);

        var unknown = await Broker.AppAuthAsync("tsr_kid_" + new string('0', 32), app.ClientSecret);
        var wrong = await Broker.AppAuthAsync(app.ClientId, app.ClientSecret[..^1] + (app.ClientSecret[^1] == 'A' ? 'B' : 'A'));
        var otherSecret = await Broker.AppAuthAsync(app.ClientId, gone.ClientSecret);
        var deregistered = await Broker.AppAuthAsync(gone.ClientId, gone.ClientSecret);

        var problems = new List<JsonObject>();
        foreach (var response in new[] { unknown, wrong, otherSecret, deregistered })
        {
            problems.Add(await RegistrationTests.AssertProblem(response, 401, "unauthorized", "Authentication failed"));
        }

        // Identical apart from the request id: nothing tells the caller which of the three it was.
        foreach (var problem in problems)
        {
            problem.Remove("request_id");
        }

        Assert.Single(problems.Select(p => p.ToJsonString()).Distinct());
        Assert.Equal("check the client_id and client_secret; a deregistered app cannot authenticate", problems[0]["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Auth_Returns401_WhenCredentialsAreTheAdminSecret()
    {
        var response = await Broker.AppAuthAsync("admin", BrokerFixture.AdminSecret);

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "Authentication failed");
    }

    [Theory]
    [InlineData(null, "tsr_sk_x")]
    [InlineData("tsr_kid_00000000000000000000000000000001", null)]
    [InlineData("", "tsr_sk_x")]
    [InlineData("tsr_kid_00000000000000000000000000000002", "")]
    [InlineData(null, null)]
    public async Task Auth_Returns400_WhenAFieldIsMissing(string? clientId, string? clientSecret)
    {
        var response = await Broker.AppAuthAsync(clientId, clientSecret);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "client_id and client_secret are required");
    }

    [Fact]
    public async Task Auth_Returns400_WhenBodyIsNotJson()
    {
        var response = await Broker.Client.PostAsync("/v1/app/auth", new StringContent("client_id=x", System.Text.Encoding.UTF8, "application/json"));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "malformed JSON body");
    }

    [Fact]
    public async Task Auth_Returns429WithRetryAfter_WhenOneClientIdTriesTooOften_CheckedBeforeTheSecret()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["app_auth_rate"] = "10", ["app_auth_burst"] = "3" });
        var app = await broker.CreateAppOkAsync();
        var other = await broker.CreateAppOkAsync();
        for (int i = 0; i < 3; i++)
        {
            await RegistrationTests.AssertProblem(await broker.AppAuthAsync(app.ClientId, "tsr_sk_wrong"), 401, "unauthorized", "Authentication failed");
        }

        var limited = await broker.AppAuthAsync(app.ClientId, app.ClientSecret);
        var limitedAgain = await broker.AppAuthAsync(app.ClientId, "tsr_sk_wrong");
        var otherClient = await broker.AppAuthAsync(other.ClientId, other.ClientSecret);

        await RegistrationTests.AssertProblem(limited, 429, "rate_limited", "rate limit exceeded, try again later");
        string retryAfter = Assert.Single(limited.Headers.GetValues("Retry-After"));
        Assert.Matches("^[0-9]+$", retryAfter);
        int seconds = int.Parse(retryAfter, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 60);
        await RegistrationTests.AssertProblem(limitedAgain, 429, "rate_limited", "rate limit exceeded, try again later");
        Assert.Equal(200, (int)otherClient.StatusCode);
        // Both refusals were in the same second of the broker's clock: one event (the audit is throttled per address and key).
        var events = await broker.AuditEventsAsync("event_type=app_rate_limited");
        Assert.Equal(1, events["total"]!.GetValue<long>());
        Assert.Contains($"key=client:{app.ClientId}", events["events"]![0]!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Auth_Returns200AgainAfterRetryAfter_WhenTheBucketRefills()
    {
        // 60 per minute: one token a second, so a refused client is served again within a couple of seconds.
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["app_auth_rate"] = "60", ["app_auth_burst"] = "1" });
        var app = await broker.CreateAppOkAsync();
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
        var limited = await broker.AppAuthAsync(app.ClientId, app.ClientSecret);
        Assert.Equal(429, (int)limited.StatusCode);
        int seconds = int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.Equal(1, seconds);

        await Task.Delay(TimeSpan.FromSeconds(seconds + 1.5));

        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task LaunchTokens_Returns201WithTheAdminRouteShape_WhenWithinTheCeiling()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*", "write:data:own"]);
        string appToken = await Broker.AppTokenAsync(app);
        var body = new JsonObject
        {
            ["agent_name"] = "orch-1/task-1",
            ["allowed_scope"] = new JsonArray("read:data:customer-1", "write:data:own"),
            ["max_ttl"] = 120,
            ["single_use"] = true,
            ["ttl"] = 45,
            ["allowed_audience"] = new JsonArray("orders-api"),
        };
        var issuedAt = Broker.Time.GetUtcNow();

        var viaApp = await ReadJsonAsync(await Broker.AppLaunchTokenAsync(appToken, body), 201);
        var viaAdmin = await Broker.CreateLaunchTokenAsync(JsonNode.Parse(body.ToJsonString())!);

        Assert.Equal(viaAdmin.Select(p => p.Key), viaApp.Select(p => p.Key));
        Assert.Equal(viaAdmin["policy"]!.ToJsonString(), viaApp["policy"]!.ToJsonString());
        Assert.Equal(viaAdmin["single_use"]!.ToJsonString(), viaApp["single_use"]!.ToJsonString());
        Assert.Matches("^[0-9a-f]{64}$", viaApp["launch_token"]!.GetValue<string>());
        Assert.Equal(issuedAt.AddSeconds(45).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), viaApp["expires_at"]!.GetValue<string>());
        Assert.Equal(["read:data:customer-1", "write:data:own"], Strings(viaApp["policy"]!["allowed_scope"]));
        Assert.Equal(120, viaApp["policy"]!["max_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task LaunchTokens_Returns403ScopeViolation_WhenAScopeIsOutsideTheCeiling()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*", "write:data:own"]);
        string appToken = await Broker.AppTokenAsync(app);

        var response = await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["read:data:customer-1", "write:data:*"]));

        var problem = await RegistrationTests.AssertProblem(response, 403, "scope_violation", "requested scopes exceed app ceiling; allowed: [read:data:* write:data:own]");
        Assert.Equal("'write:data:*' is outside the app's scope ceiling", problem["hint"]!.GetValue<string>());
        var denied = await Broker.AuditEventsAsync("event_type=launch_token_denied&limit=1000");
        Assert.Contains(denied["events"]!.AsArray(), e => e!["detail"]!.GetValue<string>() == $"requested scopes exceed app ceiling; allowed: [read:data:* write:data:own] | app_id={app.AppId}");
    }

    [Theory]
    [InlineData("read:logs:x")]
    [InlineData("read:data:*:extra")]
    [InlineData("*:data:x")]
    public async Task LaunchTokens_Returns403ScopeViolation_ForOtherScopesOutsideTheCeiling(string scope)
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        string appToken = await Broker.AppTokenAsync(app);

        var response = await Broker.AppLaunchTokenAsync(appToken, LaunchBody([scope]));

        await RegistrationTests.AssertProblem(response, 403, "scope_violation", "requested scopes exceed app ceiling; allowed: [read:data:*]");
    }

    [Fact]
    public async Task LaunchTokens_FollowTheUpdatedCeiling_WhenTheAdminChangesScopes()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*", "write:data:*"]);
        string appToken = await Broker.AppTokenAsync(app);
        await ReadJsonAsync(await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["write:data:x"])), 201);

        await ReadJsonAsync(await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, await Broker.AdminTokenAsync(), new JsonObject { ["scopes"] = new JsonArray("read:data:*") }), 200);

        await RegistrationTests.AssertProblem(await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["write:data:x"])), 403, "scope_violation", "requested scopes exceed app ceiling; allowed: [read:data:*]");
        await ReadJsonAsync(await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["read:data:x"])), 201);
    }

    [Fact]
    public async Task LaunchTokens_Returns400_ForTheAdminRouteValidationErrors()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        string appToken = await Broker.AppTokenAsync(app);
        var noName = LaunchBody(["read:data:x"]);
        noName.Remove("agent_name");

        await RegistrationTests.AssertProblem(await Broker.AppLaunchTokenAsync(appToken, noName), 400, "invalid_request", "agent_name is required");
        await RegistrationTests.AssertProblem(await Broker.AppLaunchTokenAsync(appToken, LaunchBody([])), 400, "invalid_request", "allowed_scope must not be empty");
        await RegistrationTests.AssertProblem(await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["read:data:x"], maxTtl: 0)), 400, "invalid_ttl", "max_ttl must be a positive number of seconds");
        await RegistrationTests.AssertProblem(
            await Broker.AppLaunchTokenAsync(appToken, LaunchBody(["app:launch-tokens:*"])), 400, "invalid_scope_format", "scope 'app:launch-tokens:*' is in the app: namespace, which is reserved for app tokens");
    }

    [Fact]
    public async Task LaunchTokens_Returns403_WhenBearerIsAnAdminToken()
    {
        var response = await Broker.AppLaunchTokenAsync(await Broker.AdminTokenAsync(), LaunchBody(["read:data:x"]));

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: app:launch-tokens:*");
    }

    [Fact]
    public async Task LaunchTokens_Returns403_WhenBearerIsAnAgentToken()
    {
        var agent = await Broker.RegisterAgentAsync(["*:*:*"]);

        var response = await Broker.AppLaunchTokenAsync(agent.Token, LaunchBody(["read:data:x"]));

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: app:launch-tokens:*");
    }

    [Fact]
    public async Task LaunchTokens_Returns403_WhenBearerIsAnAppAgentsToken()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        var agent = await Broker.RegisterAppAgentAsync(await Broker.AppTokenAsync(app), ["read:data:*"]);

        var response = await Broker.AppLaunchTokenAsync(agent["access_token"]!.GetValue<string>(), LaunchBody(["read:data:x"]));

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: app:launch-tokens:*");
    }

    [Fact]
    public async Task LaunchTokens_Returns401_WhenThereIsNoBearer()
    {
        var response = await Broker.Client.PostAsync("/v1/app/launch-tokens", Json(LaunchBody(["read:data:x"])));

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
    }

    [Fact]
    public async Task LaunchTokens_CarryTheAppId_IntoItsAgentsTokensAndTheAudit()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        string appToken = await Broker.AppTokenAsync(app);

        var registered = await Broker.RegisterAppAgentAsync(appToken, ["read:data:*"], "orch-app", "task-app");

        string agentId = registered["agent_id"]!.GetValue<string>();
        string token = registered["access_token"]!.GetValue<string>();
        Assert.Equal(app.AppId, Jwt.Payload(token)["app_id"]!.GetValue<string>());
        var claims = (await Broker.ValidateAsync(token))["claims"]!.AsObject();
        Assert.Equal(app.AppId, claims["app_id"]!.GetValue<string>());
        Assert.Equal(agentId, claims["sub"]!.GetValue<string>());
        Assert.Equal("task-app", claims["task_id"]!.GetValue<string>());
        Assert.Equal("orch-app", claims["orch_id"]!.GetValue<string>());
        var issued = await Broker.AuditEventsAsync("event_type=launch_token_issued&limit=1000");
        Assert.Contains(issued["events"]!.AsArray(), e => e!["detail"]!.GetValue<string>().EndsWith($" | app_id={app.AppId}", StringComparison.Ordinal));

        var renewed = await ReadJsonAsync(await Broker.PostWithBearerAsync("/v1/token/renew", token), 200);
        Assert.Equal(app.AppId, Jwt.Payload(renewed["access_token"]!.GetValue<string>())["app_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_AuditsTheAppId_WhenTheAgentComesFromAnAppLaunchToken()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        var registered = await Broker.RegisterAppAgentAsync(await Broker.AppTokenAsync(app), ["read:data:*"]);
        string agentId = registered["agent_id"]!.GetValue<string>();

        var events = await Broker.AuditEventsAsync($"agent_id={Q(agentId)}&event_type=agent_registered");

        Assert.Contains($"app_id={app.AppId}", Assert.Single(events["events"]!.AsArray())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deregister_RefusesLoginLaunchTokensAndLiveTokensAtOnce_AndLeavesOtherAppsAlone()
    {
        await using var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        string admin = await broker.AdminTokenAsync();
        var doomed = await broker.CreateAppOkAsync(scopes: ["read:data:*"], adminToken: admin);
        var survivor = await broker.CreateAppOkAsync(scopes: ["read:data:*"], adminToken: admin);
        string doomedToken = await broker.AppTokenAsync(doomed);
        string survivorToken = await broker.AppTokenAsync(survivor);
        var doomedAgent = await broker.RegisterAppAgentAsync(doomedToken, ["read:data:*"], "orch-d", "task-d");
        var survivorAgent = await broker.RegisterAppAgentAsync(survivorToken, ["read:data:*"], "orch-s", "task-s");
        string doomedAgentToken = doomedAgent["access_token"]!.GetValue<string>();
        string survivorAgentToken = survivorAgent["access_token"]!.GetValue<string>();
        var delegated = await broker.DelegateOkAsync(doomedAgentToken, survivorAgent["agent_id"]!.GetValue<string>(), ["read:data:x"]);
        var pending = await ReadJsonAsync(await broker.AppLaunchTokenAsync(doomedToken, LaunchBody(["read:data:*"])), 201);

        await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + doomed.AppId, admin), 200);

        // The deregistered app: no login, its live app token refused, its agents' tokens dead.
        await RegistrationTests.AssertProblem(await broker.AppAuthAsync(doomed.ClientId, doomed.ClientSecret), 401, "unauthorized", "Authentication failed");
        await RegistrationTests.AssertProblem(await broker.AppLaunchTokenAsync(doomedToken, LaunchBody(["read:data:*"])), 403, "insufficient_scope", "token has been revoked");
        Assert.Equal(new JsonObject { ["valid"] = false, ["error"] = "token is invalid or expired" }.ToJsonString(), (await broker.ValidateAsync(doomedToken)).ToJsonString());
        Assert.False(await broker.IsValidAsync(doomedAgentToken));
        Assert.False(await broker.IsValidAsync(delegated["access_token"]!.GetValue<string>()));
        await RegistrationTests.AssertProblem(await broker.PostWithBearerAsync("/v1/token/renew", doomedAgentToken), 403, "insufficient_scope", "token has been revoked");
        await RegistrationTests.AssertProblem(
            await broker.DelegateAsync(doomedAgentToken, survivorAgent["agent_id"]!.GetValue<string>(), ["read:data:x"]), 403, "insufficient_scope", "token has been revoked");

        // A launch token it made before is refused outright.
        using (var lateKey = AgentKey.Create())
        {
            string nonce = await broker.NonceAsync();
            var late = await broker.Client.PostAsJsonAsync("/v1/register", RegistrationTests.Body(pending["launch_token"]!.GetValue<string>(), nonce, lateKey.PublicKeyBase64, lateKey.SignNonce(nonce), ["read:data:*"], "orch-d", "task-late"));
            await RegistrationTests.AssertProblem(late, 401, "unauthorized", "launch token: launch token revoked (its app was deregistered)");
        }

        // The other app: untouched.
        Assert.Equal(200, (int)(await broker.AppAuthAsync(survivor.ClientId, survivor.ClientSecret)).StatusCode);
        await ReadJsonAsync(await broker.AppLaunchTokenAsync(survivorToken, LaunchBody(["read:data:*"])), 201);
        Assert.True(await broker.IsValidAsync(survivorToken));
        Assert.True(await broker.IsValidAsync(survivorAgentToken));
        var renewed = await ReadJsonAsync(await broker.PostWithBearerAsync("/v1/token/renew", survivorAgentToken), 200);
        Assert.True(await broker.IsValidAsync(renewed["access_token"]!.GetValue<string>()));
        var shown = await ReadJsonAsync(await broker.GetWithBearerAsync("/v1/admin/apps/" + survivor.AppId, admin), 200);
        Assert.Equal("active", shown["status"]!.GetValue<string>());
        var deregistered = await broker.AuditEventsAsync("event_type=app_deregistered", admin);
        Assert.Equal($"app deregistered | app_id={doomed.AppId} | tokens revoked at level=app", Assert.Single(deregistered["events"]!.AsArray())!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deregister_KeepsRefusingTheAppsTokens_AfterARestart()
    {
        var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        try
        {
            string admin = await broker.AdminTokenAsync();
            var app = await broker.CreateAppOkAsync(scopes: ["read:data:*"], adminToken: admin);
            string appToken = await broker.AppTokenAsync(app);
            string agentToken = (await broker.RegisterAppAgentAsync(appToken))["access_token"]!.GetValue<string>();
            await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + app.AppId, admin), 200);

            broker = await broker.RestartAsync(NoAppAuthLimit);

            await RegistrationTests.AssertProblem(await broker.AppLaunchTokenAsync(appToken, LaunchBody(["read:data:*"])), 403, "insufficient_scope", "token has been revoked");
            Assert.False(await broker.IsValidAsync(agentToken));
            Assert.Equal(401, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Deregister_LeavesALaunchTokenIssuedBeforeUseless_AfterTheAppRevocationEntryHasExpired()
    {
        var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        try
        {
            string admin = await broker.AdminTokenAsync();
            var app = await broker.CreateAppOkAsync(scopes: ["read:data:*"], adminToken: admin);
            var body = LaunchBody(["read:data:*"]);
            body["ttl"] = 7 * 86400;
            var pending = await ReadJsonAsync(await broker.AppLaunchTokenAsync(await broker.AppTokenAsync(app), body), 201);
            await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + app.AppId, admin), 200);

            // Two days on (past the longest token lifetime, so the level-app entry is gone) the launch token is still unexpired.
            broker.Time.Advance(TimeSpan.FromDays(2));
            broker = await broker.RestartAsync(NoAppAuthLimit);

            using var key = AgentKey.Create();
            string nonce = await broker.NonceAsync();
            var response = await broker.Client.PostAsJsonAsync(
                "/v1/register", RegistrationTests.Body(pending["launch_token"]!.GetValue<string>(), nonce, key.PublicKeyBase64, key.SignNonce(nonce), ["read:data:*"], "orch-late", "task-late"));
            if (response.IsSuccessStatusCode)
            {
                var registered = await ReadJsonAsync(response, 200);
                Assert.False(await broker.IsValidAsync(registered["access_token"]!.GetValue<string>()), "a deregistered app's launch token yielded a valid agent token");
            }
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Revoke_AtLevelApp_KillsTheAppsTokensAndItsAgentsTokens()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        var other = await Broker.CreateAppOkAsync(scopes: ["read:data:*"]);
        string appToken = await Broker.AppTokenAsync(app);
        string otherToken = await Broker.AppTokenAsync(other);
        string agentToken = (await Broker.RegisterAppAgentAsync(appToken))["access_token"]!.GetValue<string>();
        string otherAgentToken = (await Broker.RegisterAppAgentAsync(otherToken))["access_token"]!.GetValue<string>();

        var revoked = await Broker.RevokeOkAsync(await Broker.AdminTokenAsync(), "app", app.AppId);

        Assert.Equal("app", revoked["level"]!.GetValue<string>());
        Assert.False(await Broker.IsValidAsync(appToken));
        Assert.False(await Broker.IsValidAsync(agentToken));
        Assert.True(await Broker.IsValidAsync(otherToken));
        Assert.True(await Broker.IsValidAsync(otherAgentToken));
    }
}
