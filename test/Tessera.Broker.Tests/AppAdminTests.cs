using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.BrokerApi;

namespace Tessera.Broker.Tests;

/// <summary>The admin app surface: <c>/v1/admin/apps</c> create, list, show, update, deregister and rotate-secret.</summary>
public sealed class AppAdminTests(SharedAppBroker shared) : IClassFixture<SharedAppBroker>
{
    private const string InvalidName = "invalid app name: must be lowercase letters, digits, and hyphens";

    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Create_Returns201WithCredentialsShownOnce_WhenRequestIsValid()
    {
        string name = UniqueName("orders");

        var response = await Broker.CreateAppAsync(AppBody(name, ["read:data:*", "write:data:own"]));

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await ReadJsonAsync(response, 201);
        Assert.Equal(
            ["app_id", "name", "client_id", "client_secret", "scopes", "token_ttl", "status"],
            json.Select(p => p.Key));
        Assert.Matches($"^app-{name}-[0-9a-f]{{6}}$", json["app_id"]!.GetValue<string>());
        Assert.Equal(name, json["name"]!.GetValue<string>());
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", json["client_id"]!.GetValue<string>());
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", json["client_secret"]!.GetValue<string>());
        Assert.Equal(["read:data:*", "write:data:own"], Strings(json["scopes"]));
        Assert.Equal(1800, json["token_ttl"]!.GetValue<int>());
        Assert.Equal("active", json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_GivesEachAppItsOwnIdsAndSecret_WhenCalledTwice()
    {
        var first = await Broker.CreateAppOkAsync();
        var second = await Broker.CreateAppOkAsync();

        Assert.NotEqual(first.ClientId, second.ClientId);
        Assert.NotEqual(first.ClientSecret, second.ClientSecret);
        Assert.NotEqual(first.AppId, second.AppId);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(86400)]
    [InlineData(900)]
    public async Task Create_KeepsTokenTtl_WhenWithinBounds(int ttl)
    {
        var app = await Broker.CreateAppOkAsync(tokenTtl: ttl);

        Assert.Equal(ttl, app.TokenTtl);
    }

    [Fact]
    public async Task Create_Returns201_WhenNameIs64Characters()
    {
        string name = "a" + new string('b', 55) + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        Assert.Equal(64, name.Length);

        var app = await Broker.CreateAppOkAsync(name);

        Assert.Equal(name, app.Name);
    }

    [Fact]
    public async Task Create_Returns400NameRequired_WhenNameIsMissing()
    {
        var response = await Broker.CreateAppAsync(AppBody(null, ["read:data:*"]));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "name is required");
    }

    [Fact]
    public async Task Create_Returns400NameRequired_WhenNameIsEmpty()
    {
        var response = await Broker.CreateAppAsync(AppBody("", ["read:data:*"]));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "name is required");
    }

    [Theory]
    [InlineData("MyApp")]
    [InlineData("orders-App")]
    [InlineData("1app")]
    [InlineData("-app")]
    [InlineData("my--app")]
    [InlineData("my-app-")]
    [InlineData("my_app")]
    [InlineData("my app")]
    [InlineData("my.app")]
    public async Task Create_Returns400InvalidName_WhenNameBreaksTheRule(string name)
    {
        var response = await Broker.CreateAppAsync(AppBody(name, ["read:data:*"]));

        var problem = await RegistrationTests.AssertProblem(response, 400, "invalid_request", InvalidName);
        Assert.Equal("at most 64 characters, starting with a letter, no double or trailing hyphen", problem["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_Returns400InvalidName_WhenNameIs65Characters()
    {
        var response = await Broker.CreateAppAsync(AppBody("a" + new string('b', 64), ["read:data:*"]));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", InvalidName);
    }

    [Fact]
    public async Task Create_Returns400ScopesEmpty_WhenScopesAreMissing()
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), null));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "scopes must not be empty");
    }

    [Fact]
    public async Task Create_Returns400ScopesEmpty_WhenScopesAreAnEmptyList()
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), []));

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "scopes must not be empty");
    }

    [Theory]
    [InlineData("read", "invalid scope 'read': expected action:resource:identifier or resource:action")]
    [InlineData("read::x", "invalid scope 'read::x': empty segment")]
    [InlineData("read:da*:x", "invalid scope 'read:da*:x': '*' must be a whole segment")]
    [InlineData("read:data:a b", "invalid scope 'read:data:a b': character not allowed")]
    [InlineData("", "scope must not be empty")]
    public async Task Create_Returns400InvalidScopeFormat_WhenAScopeIsMalformed(string scope, string detail)
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*", scope]));

        await RegistrationTests.AssertProblem(response, 400, "invalid_scope_format", detail);
    }

    [Theory]
    [InlineData("admin:apps:*")]
    [InlineData("admin:launch-tokens:*")]
    public async Task Create_Returns400InvalidScopeFormat_WhenAScopeIsInTheAdminNamespace(string scope)
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*", scope]));

        await RegistrationTests.AssertProblem(
            response, 400, "invalid_scope_format", $"scope '{scope}' is in the admin: namespace, which is reserved for the broker's own admin tokens");
    }

    [Theory]
    [InlineData(59)]
    [InlineData(86401)]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Create_Returns400InvalidTtl_WhenTokenTtlIsOutOfBounds(int ttl)
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*"], ttl));

        await RegistrationTests.AssertProblem(response, 400, "invalid_ttl", $"invalid token TTL: must be between 60 and 86400 seconds, got {ttl}");
    }

    [Fact]
    public async Task Create_Returns400_WhenTokenTtlIsNotANumber()
    {
        var body = AppBody(UniqueName(), ["read:data:*"]);
        body["token_ttl"] = "1800";

        var response = await Broker.CreateAppAsync(body);

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "malformed JSON body: field 'token_ttl' has the wrong type or value");
    }

    [Fact]
    public async Task Create_Returns409Conflict_WhenNameIsTaken()
    {
        var app = await Broker.CreateAppOkAsync();

        var response = await Broker.CreateAppAsync(AppBody(app.Name, ["read:data:x"]));

        var problem = await RegistrationTests.AssertProblem(response, 409, "conflict", $"an app named '{app.Name}' already exists");
        Assert.Equal("pick another name, or update the existing app", problem["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_AdmitsExactlyOne_WhenTheSameNameIsCreatedConcurrently()
    {
        string name = UniqueName("race");
        string admin = await Broker.AdminTokenAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Broker.CreateAppAsync(AppBody(name, ["read:data:*"]), admin)));

        Assert.Equal(1, responses.Count(r => (int)r.StatusCode == 201));
        Assert.Equal(5, responses.Count(r => (int)r.StatusCode == 409));
        var list = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps", admin), 200);
        Assert.Single(list["apps"]!.AsArray(), a => a!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Create_Returns415_WhenBodyIsNotJson()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps") { Content = new StringContent("name=x", System.Text.Encoding.UTF8, "text/plain") };
        request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());

        var response = await Broker.Client.SendAsync(request);

        await RegistrationTests.AssertProblem(response, 415, "unsupported_media_type", "Content-Type must be application/json");
    }

    [Fact]
    public async Task Create_Returns401_WhenThereIsNoBearer()
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*"]), bearer: "");

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "missing authorization header");
        Assert.Equal("Bearer realm=\"tessera\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Create_Returns401_WhenBearerIsGarbage()
    {
        var response = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*"]), bearer: "not-a-token");

        await RegistrationTests.AssertProblem(response, 401, "unauthorized", "token verification failed");
    }

    [Fact]
    public async Task Create_Returns403InsufficientScope_WhenBearerIsAnAgentToken()
    {
        var agent = await Broker.RegisterAgentAsync(["*:*:*"]);
        string name = UniqueName();

        var response = await Broker.CreateAppAsync(AppBody(name, ["read:data:*"]), agent.Token);

        await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: admin:apps:*");
        var list = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps", await Broker.AdminTokenAsync()), 200);
        Assert.DoesNotContain(name, list.ToJsonString());
    }

    [Fact]
    public async Task AdminRoutes_Return403InsufficientScope_WhenBearerIsAnAppToken()
    {
        var app = await Broker.CreateAppOkAsync();
        string appToken = await Broker.AppTokenAsync(app);

        var create = await Broker.CreateAppAsync(AppBody(UniqueName(), ["read:data:*"]), appToken);
        var list = await Broker.GetWithBearerAsync("/v1/admin/apps", appToken);
        var show = await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, appToken);
        var update = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, appToken, new JsonObject { ["token_ttl"] = 600 });
        var rotate = await Broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", appToken, new JsonObject { ["grace_seconds"] = 0 });
        var delete = await Broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + app.AppId, appToken);

        foreach (var response in new[] { create, list, show, update, rotate, delete })
        {
            await RegistrationTests.AssertProblem(response, 403, "insufficient_scope", "token lacks required scope: admin:apps:*");
        }

        Assert.Equal(200, (int)(await Broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task List_ReturnsAppsAndTotal_WithoutSecrets()
    {
        await using var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        string admin = await broker.AdminTokenAsync();
        var first = await broker.CreateAppOkAsync("alpha", ["read:data:*"], adminToken: admin);
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await broker.CreateAppOkAsync("beta", ["write:data:own"], 600, admin);

        var response = await broker.GetWithBearerAsync("/v1/admin/apps", admin);

        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)response.StatusCode);
        Assert.DoesNotContain("client_secret", text);
        Assert.DoesNotContain(first.ClientSecret, text);
        Assert.DoesNotContain(second.ClientSecret, text);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(2, json["total"]!.GetValue<int>());
        var apps = json["apps"]!.AsArray().Select(a => a!.AsObject()).ToList();
        Assert.Equal([first.AppId, second.AppId], apps.Select(a => a["app_id"]!.GetValue<string>()));
        Assert.Equal(["alpha", "beta"], apps.Select(a => a["name"]!.GetValue<string>()));
        Assert.Equal([first.ClientId, second.ClientId], apps.Select(a => a["client_id"]!.GetValue<string>()));
        Assert.Equal([1800, 600], apps.Select(a => a["token_ttl"]!.GetValue<int>()));
        Assert.Equal(["write:data:own"], Strings(apps[1]["scopes"]));
        Assert.All(apps, a => Assert.Equal("active", a["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task List_ReturnsEmptyList_WhenThereAreNoApps()
    {
        await using var broker = await BrokerFixture.StartAsync();

        var json = await ReadJsonAsync(await broker.GetWithBearerAsync("/v1/admin/apps", await broker.AdminTokenAsync()), 200);

        Assert.Equal(0, json["total"]!.GetValue<int>());
        Assert.Empty(json["apps"]!.AsArray());
    }

    [Fact]
    public async Task Get_ReturnsTheApp_WithoutItsSecret()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"], tokenTtl: 300);

        var response = await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, await Broker.AdminTokenAsync());

        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)response.StatusCode);
        Assert.DoesNotContain("client_secret", text);
        Assert.DoesNotContain(app.ClientSecret, text);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(app.AppId, json["app_id"]!.GetValue<string>());
        Assert.Equal(app.Name, json["name"]!.GetValue<string>());
        Assert.Equal(app.ClientId, json["client_id"]!.GetValue<string>());
        Assert.Equal(["read:data:*"], Strings(json["scopes"]));
        Assert.Equal(300, json["token_ttl"]!.GetValue<int>());
        Assert.Equal("active", json["status"]!.GetValue<string>());
        string now = Broker.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(now, json["created_at"]!.GetValue<string>());
        Assert.Equal(now, json["updated_at"]!.GetValue<string>());
        Assert.Null(json["previous_secret_valid_until"]);
    }

    [Theory]
    [InlineData("app-nope-000000")]
    [InlineData("tsr_kid_00000000000000000000000000000000")]
    public async Task Get_Returns404AppNotFound_WhenIdIsUnknown(string id)
    {
        var response = await Broker.GetWithBearerAsync("/v1/admin/apps/" + id, await Broker.AdminTokenAsync());

        await RegistrationTests.AssertProblem(response, 404, "not_found", "app not found");
    }

    [Fact]
    public async Task Get_Returns404AppNotFound_WhenIdIsTheClientId()
    {
        var app = await Broker.CreateAppOkAsync();

        var response = await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.ClientId, await Broker.AdminTokenAsync());

        await RegistrationTests.AssertProblem(response, 404, "not_found", "app not found");
    }

    [Fact]
    public async Task Update_ChangesOnlyScopes_WhenOnlyScopesAreGiven()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"], tokenTtl: 600);
        string admin = await Broker.AdminTokenAsync();
        Broker.Time.Advance(TimeSpan.FromSeconds(2));

        var response = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, admin, new JsonObject { ["scopes"] = new JsonArray("read:data:*", "write:logs:own") });

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(["read:data:*", "write:logs:own"], Strings(json["scopes"]));
        Assert.Equal(600, json["token_ttl"]!.GetValue<int>());
        Assert.NotEqual(json["created_at"]!.GetValue<string>(), json["updated_at"]!.GetValue<string>());
        var shown = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin), 200);
        Assert.Equal(["read:data:*", "write:logs:own"], Strings(shown["scopes"]));
        Assert.Equal(600, shown["token_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_ChangesOnlyTokenTtl_WhenOnlyTokenTtlIsGiven()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*", "write:data:own"]);
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, admin, new JsonObject { ["token_ttl"] = 120 });

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(["read:data:*", "write:data:own"], Strings(json["scopes"]));
        Assert.Equal(120, json["token_ttl"]!.GetValue<int>());
        var auth = await ReadJsonAsync(await Broker.AppAuthAsync(app.ClientId, app.ClientSecret), 200);
        Assert.Equal(120, auth["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_Returns400_WhenBodyIsEmpty()
    {
        var app = await Broker.CreateAppOkAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, await Broker.AdminTokenAsync(), new JsonObject());

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "at least one of scopes or token_ttl must be provided");
    }

    [Fact]
    public async Task Update_Returns400_WhenScopesAreAnEmptyList()
    {
        var app = await Broker.CreateAppOkAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + app.AppId, await Broker.AdminTokenAsync(), new JsonObject { ["scopes"] = new JsonArray() });

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "scopes must not be empty");
    }

    [Fact]
    public async Task Update_ChangesNothing_WhenTtlIsBadAndScopesAreGood()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"], tokenTtl: 600);
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.SendWithBearerAsync(
            HttpMethod.Put, "/v1/admin/apps/" + app.AppId, admin, new JsonObject { ["scopes"] = new JsonArray("write:data:*"), ["token_ttl"] = 59 });

        await RegistrationTests.AssertProblem(response, 400, "invalid_ttl", "invalid token TTL: must be between 60 and 86400 seconds, got 59");
        var shown = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin), 200);
        Assert.Equal(["read:data:*"], Strings(shown["scopes"]));
        Assert.Equal(600, shown["token_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_ChangesNothing_WhenAScopeIsMalformedAndTtlIsGood()
    {
        var app = await Broker.CreateAppOkAsync(scopes: ["read:data:*"], tokenTtl: 600);
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.SendWithBearerAsync(
            HttpMethod.Put, "/v1/admin/apps/" + app.AppId, admin, new JsonObject { ["scopes"] = new JsonArray("read"), ["token_ttl"] = 900 });

        await RegistrationTests.AssertProblem(response, 400, "invalid_scope_format", "invalid scope 'read': expected action:resource:identifier or resource:action");
        var shown = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin), 200);
        Assert.Equal(["read:data:*"], Strings(shown["scopes"]));
        Assert.Equal(600, shown["token_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_Returns404AppNotFound_WhenIdIsUnknown()
    {
        var response = await Broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/app-nope-000000", await Broker.AdminTokenAsync(), new JsonObject { ["token_ttl"] = 600 });

        await RegistrationTests.AssertProblem(response, 404, "not_found", "app not found");
    }

    [Fact]
    public async Task Delete_Returns200Inactive_AndTheAppStaysListedAsInactive()
    {
        var app = await Broker.CreateAppOkAsync();
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + app.AppId, admin);

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(app.AppId, json["app_id"]!.GetValue<string>());
        Assert.Equal("inactive", json["status"]!.GetValue<string>());
        Assert.Equal(Broker.Time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), json["deregistered_at"]!.GetValue<string>());
        var shown = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin), 200);
        Assert.Equal("inactive", shown["status"]!.GetValue<string>());
        var list = await ReadJsonAsync(await Broker.GetWithBearerAsync("/v1/admin/apps", admin), 200);
        Assert.Equal("inactive", list["apps"]!.AsArray().Single(a => a!["app_id"]!.GetValue<string>() == app.AppId)!["status"]!.GetValue<string>());
        using var feed = await Broker.FeedClientAsync(admin);
        var revocations = await feed.GetFromJsonAsync<JsonObject>("/v1/revocations?since=0&limit=1000");
        var entry = revocations!["entries"]!.AsArray().Single(e => e!["target"]!.GetValue<string>() == app.AppId)!;
        Assert.Equal("app", entry["level"]!.GetValue<string>());
        Assert.Equal("app deregistered", entry["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_Returns404AppNotFound_WhenIdIsUnknown()
    {
        var response = await Broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/app-nope-000000", await Broker.AdminTokenAsync());

        await RegistrationTests.AssertProblem(response, 404, "not_found", "app not found");
    }

    [Fact]
    public async Task RotateSecret_RefusesOldSecretAtOnce_WhenGraceIsZero()
    {
        var app = await Broker.CreateAppOkAsync();
        string admin = await Broker.AdminTokenAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 0 });

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(app.AppId, json["app_id"]!.GetValue<string>());
        Assert.Equal(app.ClientId, json["client_id"]!.GetValue<string>());
        string secret = json["client_secret"]!.GetValue<string>();
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", secret);
        Assert.NotEqual(app.ClientSecret, secret);
        Assert.Null(json["previous_secret_valid_until"]);
        await RegistrationTests.AssertProblem(await Broker.AppAuthAsync(app.ClientId, app.ClientSecret), 401, "unauthorized", "Authentication failed");
        Assert.Equal(200, (int)(await Broker.AppAuthAsync(app.ClientId, secret)).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_KeepsOldSecretUntilGraceEnds_WhenGraceIsGiven()
    {
        await using var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        var app = await broker.CreateAppOkAsync();
        string admin = await broker.AdminTokenAsync();
        var rotatedAt = broker.Time.GetUtcNow();

        var response = await broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 60 });

        var json = await ReadJsonAsync(response, 200);
        string secret = json["client_secret"]!.GetValue<string>();
        string until = rotatedAt.AddSeconds(60).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(until, json["previous_secret_valid_until"]!.GetValue<string>());
        var shown = await ReadJsonAsync(await broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin), 200);
        Assert.Equal(until, shown["previous_secret_valid_until"]!.GetValue<string>());
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, secret)).StatusCode);

        broker.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);

        broker.Time.Advance(TimeSpan.FromSeconds(2));
        await RegistrationTests.AssertProblem(await broker.AppAuthAsync(app.ClientId, app.ClientSecret), 401, "unauthorized", "Authentication failed");
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, secret)).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_UsesTheConfiguredGrace_WhenThereIsNoBody()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?>(NoAppAuthLimit) { ["secret_rotation_grace"] = "120" });
        var app = await broker.CreateAppOkAsync();
        var rotatedAt = broker.Time.GetUtcNow();

        var response = await broker.PostWithBearerAsync($"/v1/admin/apps/{app.AppId}/rotate-secret", await broker.AdminTokenAsync());

        var json = await ReadJsonAsync(response, 200);
        Assert.Equal(rotatedAt.AddSeconds(120).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), json["previous_secret_valid_until"]!.GetValue<string>());
        broker.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(200, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
        broker.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(401, (int)(await broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_EndsThePreviousGrace_WhenRotatedAgain()
    {
        var app = await Broker.CreateAppOkAsync();
        string admin = await Broker.AdminTokenAsync();
        string path = $"/v1/admin/apps/{app.AppId}/rotate-secret";
        var second = await ReadJsonAsync(await Broker.SendWithBearerAsync(HttpMethod.Post, path, admin, new JsonObject { ["grace_seconds"] = 600 }), 200);

        var third = await ReadJsonAsync(await Broker.SendWithBearerAsync(HttpMethod.Post, path, admin, new JsonObject { ["grace_seconds"] = 600 }), 200);

        Assert.Equal(401, (int)(await Broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
        Assert.Equal(200, (int)(await Broker.AppAuthAsync(app.ClientId, second["client_secret"]!.GetValue<string>())).StatusCode);
        Assert.Equal(200, (int)(await Broker.AppAuthAsync(app.ClientId, third["client_secret"]!.GetValue<string>())).StatusCode);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2592001)]
    public async Task RotateSecret_Returns400_WhenGraceIsOutOfBounds(int grace)
    {
        var app = await Broker.CreateAppOkAsync();

        var response = await Broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", await Broker.AdminTokenAsync(), new JsonObject { ["grace_seconds"] = grace });

        await RegistrationTests.AssertProblem(response, 400, "invalid_request", "grace_seconds must be between 0 and 2592000");
        Assert.Equal(200, (int)(await Broker.AppAuthAsync(app.ClientId, app.ClientSecret)).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_Returns409_WhenAppIsDeregistered()
    {
        var app = await Broker.CreateAppOkAsync();
        string admin = await Broker.AdminTokenAsync();
        await ReadJsonAsync(await Broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + app.AppId, admin), 200);

        var response = await Broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 0 });

        var problem = await RegistrationTests.AssertProblem(response, 409, "conflict", "app is deregistered");
        Assert.Equal("register a new app", problem["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task RotateSecret_Returns404_WhenIdIsUnknown()
    {
        var response = await Broker.SendWithBearerAsync(HttpMethod.Post, "/v1/admin/apps/app-nope-000000/rotate-secret", await Broker.AdminTokenAsync(), new JsonObject { ["grace_seconds"] = 0 });

        await RegistrationTests.AssertProblem(response, 404, "not_found", "app not found");
    }

    [Fact]
    public async Task Apps_SurviveARestart_WithTheirStatusAndRotatedSecrets()
    {
        var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        try
        {
            string admin = await broker.AdminTokenAsync();
            var kept = await broker.CreateAppOkAsync("kept", ["read:data:*"], 900, admin);
            var rotated = await broker.CreateAppOkAsync("rotated", ["write:data:own"], adminToken: admin);
            var graced = await broker.CreateAppOkAsync("graced", ["read:logs:*"], adminToken: admin);
            var removed = await broker.CreateAppOkAsync("removed", ["read:data:*"], adminToken: admin);
            string removedToken = await broker.AppTokenAsync(removed);
            await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Put, "/v1/admin/apps/" + kept.AppId, admin, new JsonObject { ["scopes"] = new JsonArray("read:data:*", "read:logs:*") }), 200);
            var rotation = await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{rotated.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 0 }), 200);
            var graceRotation = await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{graced.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 300 }), 200);
            await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + removed.AppId, admin), 200);

            broker = await broker.RestartAsync(NoAppAuthLimit);

            admin = await broker.AdminTokenAsync();
            var list = await ReadJsonAsync(await broker.GetWithBearerAsync("/v1/admin/apps", admin), 200);
            Assert.Equal(4, list["total"]!.GetValue<int>());
            var apps = list["apps"]!.AsArray().Select(a => a!.AsObject()).ToDictionary(a => a["name"]!.GetValue<string>());
            Assert.Equal(["graced", "kept", "removed", "rotated"], apps.Keys.Order());
            Assert.Equal("inactive", apps["removed"]["status"]!.GetValue<string>());
            Assert.All(["kept", "rotated", "graced"], name => Assert.Equal("active", apps[name]["status"]!.GetValue<string>()));
            Assert.Equal(["read:data:*", "read:logs:*"], Strings(apps["kept"]["scopes"]));
            Assert.Equal(900, apps["kept"]["token_ttl"]!.GetValue<int>());
            Assert.Equal(graceRotation["previous_secret_valid_until"]!.GetValue<string>(), apps["graced"]["previous_secret_valid_until"]!.GetValue<string>());

            var keptAuth = await ReadJsonAsync(await broker.AppAuthAsync(kept.ClientId, kept.ClientSecret), 200);
            Assert.Equal(900, keptAuth["expires_in"]!.GetValue<int>());
            Assert.Equal(401, (int)(await broker.AppAuthAsync(rotated.ClientId, rotated.ClientSecret)).StatusCode);
            Assert.Equal(200, (int)(await broker.AppAuthAsync(rotated.ClientId, rotation["client_secret"]!.GetValue<string>())).StatusCode);
            Assert.Equal(200, (int)(await broker.AppAuthAsync(graced.ClientId, graced.ClientSecret)).StatusCode);
            Assert.Equal(200, (int)(await broker.AppAuthAsync(graced.ClientId, graceRotation["client_secret"]!.GetValue<string>())).StatusCode);
            await RegistrationTests.AssertProblem(await broker.AppAuthAsync(removed.ClientId, removed.ClientSecret), 401, "unauthorized", "Authentication failed");
            await RegistrationTests.AssertProblem(await broker.AppLaunchTokenAsync(removedToken, LaunchBody(["read:data:*"])), 403, "insufficient_scope", "token has been revoked");
            Assert.False(await broker.IsValidAsync(removedToken));
            await RegistrationTests.AssertProblem(await broker.CreateAppAsync(AppBody("kept", ["read:data:*"]), admin), 409, "conflict", "an app named 'kept' already exists");

            broker.Time.Advance(TimeSpan.FromSeconds(301));
            Assert.Equal(401, (int)(await broker.AppAuthAsync(graced.ClientId, graced.ClientSecret)).StatusCode);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Secrets_NeverAppearInLogsAuditOrReads()
    {
        await using var broker = await BrokerFixture.StartAsync(NoAppAuthLimit);
        string admin = await broker.AdminTokenAsync();
        var app = await broker.CreateAppOkAsync(adminToken: admin);
        var other = await broker.CreateAppOkAsync(adminToken: admin);
        await broker.AppTokenAsync(app);
        await broker.AppAuthAsync(app.ClientId, app.ClientSecret + "x");
        await broker.AppAuthAsync("tsr_kid_" + new string('0', 32), other.ClientSecret);
        var rotation = await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Post, $"/v1/admin/apps/{app.AppId}/rotate-secret", admin, new JsonObject { ["grace_seconds"] = 60 }), 200);
        string rotated = rotation["client_secret"]!.GetValue<string>();
        await broker.AppTokenAsync(app, rotated);
        await broker.AppAuthAsync(app.ClientId, rotated + "y");
        await broker.CreateAppAsync(AppBody(app.Name, ["read:data:*"]), admin);
        await ReadJsonAsync(await broker.SendWithBearerAsync(HttpMethod.Delete, "/v1/admin/apps/" + other.AppId, admin), 200);
        await broker.AppAuthAsync(other.ClientId, other.ClientSecret);

        string[] secrets = [app.ClientSecret, other.ClientSecret, rotated];
        string list = await (await broker.GetWithBearerAsync("/v1/admin/apps", admin)).Content.ReadAsStringAsync();
        string show = await (await broker.GetWithBearerAsync("/v1/admin/apps/" + app.AppId, admin)).Content.ReadAsStringAsync();
        var audit = await broker.AuditEventsAsync("limit=1000", admin);
        string export = await (await broker.GetWithBearerAsync("/v1/audit/export", admin)).Content.ReadAsStringAsync();

        Assert.NotEmpty(broker.Logs);
        Assert.Contains(audit["events"]!.AsArray(), e => e!["event_type"]!.GetValue<string>() == "app_auth_failed");
        foreach (string secret in secrets)
        {
            // The whole secret, and its random part alone.
            foreach (string needle in new[] { secret, secret["tsr_sk_".Length..] })
            {
                Assert.DoesNotContain(broker.Logs, line => line.Contains(needle, StringComparison.Ordinal));
                Assert.DoesNotContain(needle, list);
                Assert.DoesNotContain(needle, show);
                Assert.DoesNotContain(needle, audit.ToJsonString());
                Assert.DoesNotContain(needle, export);
            }
        }
    }
}
