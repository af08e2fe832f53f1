using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>The admin platform surface: <c>/v1/admin/platforms</c> and <c>/v1/platforms/{id}/scopes-file</c>.</summary>
public sealed class PlatformAdminTests(SharedCredentialBroker shared) : IClassFixture<SharedCredentialBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Create_Returns201WithSecretShownOnce_WhenRequestIsValid()
    {
        string admin = await shared.AdminTokenAsync();
        string id = UniqueId("billing");
        var body = PlatformBody(id, ["read:orders:*", "write:orders:*"], [$"API.{id}.example.com", $"api.{id}.example.com"], new JsonArray(Route("GET", "/orders/{id}", "read:orders:*")), "Billing API");

        var json = await Broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/platforms", body, 201, admin);

        Assert.Equal(id, json["platform_id"]!.GetValue<string>());
        Assert.Equal("Billing API", json["name"]!.GetValue<string>());
        Assert.Equal([$"api.{id}.example.com"], Strings(json["hostnames"]));
        Assert.Equal(["read:orders:*", "write:orders:*"], Strings(json["scopes"]));
        Assert.Equal("tessera", json["token_profile"]!.GetValue<string>());
        Assert.Equal(1, json["version"]!.GetValue<int>());
        Assert.Equal("active", json["status"]!.GetValue<string>());
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", json["client_id"]!.GetValue<string>());
        string secret = json["client_secret"]!.GetValue<string>();
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal("GET", json["routes"]![0]!["method"]!.GetValue<string>());

        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{id}", adminToken: admin);
        Assert.False(shown.ContainsKey("client_secret"));
        Assert.Equal(json["client_id"]!.GetValue<string>(), shown["client_id"]!.GetValue<string>());
        Assert.Equal(1, shown["version"]!.GetValue<int>());
        string listText = await (await Broker.AdminAsync(HttpMethod.Get, "/v1/admin/platforms", adminToken: admin)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        Assert.DoesNotContain("client_secret", listText, StringComparison.Ordinal);
        var list = JsonNode.Parse(listText)!.AsObject();
        Assert.Contains(list["platforms"]!.AsArray(), p => p!["platform_id"]!.GetValue<string>() == id);
        Assert.Equal(list["platforms"]!.AsArray().Count, list["total"]!.GetValue<int>());
        Assert.Single(await Broker.AuditAsync("platform_registered", adminToken: admin), e => e["resource"]?.GetValue<string>() == id);
    }

    [Fact]
    public async Task Create_Returns409Conflict_WhenPlatformIdExists()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(platform.PlatformId, ["read:x:*"]), admin);

        await AssertProblemCode(response, 409, "conflict");
    }

    [Fact]
    public async Task Create_Returns401_WhenNoAdminToken()
    {
        var response = await Broker.Client.PostAsync("/v1/admin/platforms", Json(PlatformBody(UniqueId("p"), ["read:x:*"])));

        Assert.Equal(401, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("Billing")]
    [InlineData("1billing")]
    [InlineData("bill--ing")]
    [InlineData("billing-")]
    [InlineData("bill_ing")]
    [InlineData("bill.ing")]
    [InlineData("a2345678901234567890123456789012345678901234567890123456789012345")]
    public async Task Create_Returns400InvalidRequest_WhenPlatformIdBreaksTheRule(string id)
    {
        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(id, ["read:x:*"], ["x.example.com"]), await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.StartsWith("invalid platform_id", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Returns400_WhenPlatformIdIsMissing()
    {
        var body = PlatformBody("x", ["read:x:*"]);
        body.Remove("platform_id");

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", body, await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.Equal("platform_id is required", problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("https://api.example.com")]
    [InlineData("api.example.com:443")]
    [InlineData("api.example.com/v1")]
    [InlineData("-api.example.com")]
    [InlineData("api..example.com")]
    [InlineData("api example.com")]
    [InlineData("")]
    public async Task Create_Returns400NamingTheHostname_WhenHostnameIsInvalid(string hostname)
    {
        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(UniqueId("p"), ["read:x:*"], ["ok.example.com", hostname]), await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.StartsWith($"hostnames: '{hostname}' is not a host name", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("read")]
    [InlineData("read::x")]
    [InlineData("read:da*:x")]
    public async Task Create_Returns400InvalidScopeFormat_WhenScopeIsMalformed(string scope)
    {
        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(UniqueId("p"), ["read:x:*", scope]), await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_scope_format");
        Assert.StartsWith("scopes: ", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin:platforms:*")]
    [InlineData("admin:agents:read")]
    [InlineData("app:launch-tokens:*")]
    public async Task Create_Returns400_WhenScopeIsInAReservedNamespace(string scope)
    {
        string id = UniqueId("p");
        string admin = await shared.AdminTokenAsync();

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(id, ["read:x:*", scope]), admin);

        var problem = await AssertProblemCode(response, 400, "invalid_scope_format");
        Assert.Contains("reserved", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Get, $"/v1/admin/platforms/{id}", adminToken: admin), 404, "not_found");
    }

    public static TheoryData<string, string, string> BadRoutes => new()
    {
        { "method missing", """{"path":"/a","scope":"read:orders:*"}""", "method is required" },
        { "method lower case", """{"method":"get","path":"/a","scope":"read:orders:*"}""", "method is required" },
        { "path without slash", """{"method":"GET","path":"a","scope":"read:orders:*"}""", "path is required" },
        { "catch-all not last", """{"method":"GET","path":"/a/{*rest}/b","scope":"read:orders:*"}""", "path is required" },
        { "two catch-alls", """{"method":"GET","path":"/a/{*x}/{*y}","scope":"read:orders:*"}""", "path is required" },
        { "empty segment", """{"method":"GET","path":"/a//b","scope":"read:orders:*"}""", "path is required" },
        { "parameters side by side", """{"method":"GET","path":"/a/{x}{y}","scope":"read:orders:*"}""", "path is required" },
        { "same route in other letter case", """{"method":"GET","path":"/OK","public":true}""", "GET /OK matches the same requests as routes[0] (/ok) but asks something else" },
        { "same route with a trailing slash", """{"method":"GET","path":"/ok/","skip":true}""", "GET /ok/ matches the same requests as routes[0] (/ok)" },
        { "nothing required", """{"method":"GET","path":"/a"}""", "exactly one of scope" },
        { "scope and public", """{"method":"GET","path":"/a","scope":"read:orders:*","public":true}""", "exactly one of scope" },
        { "scope and scopes", """{"method":"GET","path":"/a","scope":"read:orders:*","scopes":["read:orders:1"]}""", "exactly one of scope" },
        { "empty scopes", """{"method":"GET","path":"/a","scopes":[]}""", "scopes must be a non-empty list" },
        { "match with one scope", """{"method":"GET","path":"/a","scope":"read:orders:*","match":"all"}""", "match is all or any" },
        { "unknown match", """{"method":"GET","path":"/a","scopes":["read:orders:1","read:orders:2"],"match":"some"}""", "match is all or any" },
        { "malformed scope", """{"method":"GET","path":"/a","scope":"read"}""", "invalid scope 'read'" },
        { "scope outside the platform", """{"method":"GET","path":"/a","scope":"delete:orders:*"}""", "scope 'delete:orders:*' is not one of the platform's scopes" },
        { "not an object", "null", "must be an object" },
    };

    [Theory]
    [MemberData(nameof(BadRoutes))]
    public async Task Create_Returns400NamingRoutesIndex_WhenARouteIsInvalid(string name, string route, string detail)
    {
        _ = name;
        var routes = new JsonArray(Route("GET", "/ok", "read:orders:*"), JsonNode.Parse(route));

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/platforms", PlatformBody(UniqueId("p"), ["read:orders:*", "write:orders:*"], routes: routes), await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.StartsWith("routes[1]: ", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(detail, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AcceptsEveryRouteKind_WhenRoutesAreValid()
    {
        var routes = new JsonArray(
            Route("GET", "/orders/{id}", "read:orders:*"),
            new JsonObject { ["method"] = "POST", ["path"] = "/orders", ["scopes"] = Array("write:orders:1", "read:orders:1"), ["match"] = "any" },
            new JsonObject { ["method"] = "GET", ["path"] = "/health", ["public"] = true },
            new JsonObject { ["method"] = "GET", ["path"] = "/static/{*rest}", ["skip"] = true });

        var platform = await Broker.CreatePlatformOkAsync(routes: routes, adminToken: await shared.AdminTokenAsync());

        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: await shared.AdminTokenAsync());
        Assert.Equal(4, shown["routes"]!.AsArray().Count);
        Assert.Equal("any", shown["routes"]![1]!["match"]!.GetValue<string>());
        Assert.True(shown["routes"]![2]!["public"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Update_BumpsVersionAndAudits_WhenFieldsChange()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var updated = await Broker.AdminOkAsync(
            HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}",
            new JsonObject { ["name"] = "Renamed", ["hostnames"] = Array("new.example.com"), ["routes"] = new JsonArray(Route("DELETE", "/orders/{id}", "write:orders:*")) },
            adminToken: admin);

        Assert.Equal(2, updated["version"]!.GetValue<int>());
        Assert.Equal("Renamed", updated["name"]!.GetValue<string>());
        Assert.Equal(["new.example.com"], Strings(updated["hostnames"]));
        Assert.Equal(platform.Scopes, Strings(updated["scopes"]));
        Assert.False(updated.ContainsKey("client_secret"));
        var again = await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["name"] = "Renamed again" }, adminToken: admin);
        Assert.Equal(3, again["version"]!.GetValue<int>());
        Assert.Equal(["new.example.com"], Strings(again["hostnames"]));
        string yaml = await (await ScopesFileAsync(platform.PlatformId, bearer: admin)).Content.ReadAsStringAsync();
        Assert.Contains("version: 3\n", yaml, StringComparison.Ordinal);
        Assert.Equal(2, (await Broker.AuditAsync("platform_updated", adminToken: admin)).Count(e => e["resource"]?.GetValue<string>() == platform.PlatformId));
    }

    [Fact]
    public async Task Update_Returns409_WhenNarrowedScopesWouldLeaveAGrantWiderThanThePlatform()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(["write:orders:*"], admin);

        var refused = await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["scopes"] = Array("read:orders:*") }, admin);
        var problem = await AssertProblemCode(refused, 409, "conflict");
        Assert.Contains(agent.AgentId, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var unchanged = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin);
        Assert.Equal(platform.Scopes, Strings(unchanged["scopes"]));
        Assert.Equal(1, unchanged["version"]!.GetValue<int>());

        // Once the grant is narrowed, the platform can be.
        await Broker.GrantOkAsync(agent.KeyId, platform.PlatformId, ["read:orders:*"], admin);
        var narrowed = await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["scopes"] = Array("read:orders:*") }, adminToken: admin);
        Assert.Equal(["read:orders:*"], Strings(narrowed["scopes"]));
    }

    [Fact]
    public async Task Update_ChangesNothing_WhenAnyFieldIsInvalid()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(routes: new JsonArray(Route("GET", "/orders", "read:orders:*")), adminToken: admin);

        var badRoute = await Broker.AdminAsync(
            HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}",
            new JsonObject { ["name"] = "Changed", ["hostnames"] = Array("changed.example.com"), ["routes"] = new JsonArray(Route("GET", "/a", "read:orders:*"), Route("GET", "b", "read:orders:*")) },
            admin);
        var problem = await AssertProblemCode(badRoute, 400, "invalid_request");
        Assert.StartsWith("routes[1]: ", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Narrowing the scopes under an existing route is checked against the merged result.
        var orphanRoute = await Broker.AdminAsync(
            HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}",
            new JsonObject { ["name"] = "Changed", ["scopes"] = Array("write:orders:*") },
            admin);
        problem = await AssertProblemCode(orphanRoute, 400, "invalid_request");
        Assert.StartsWith("routes[0]: scope 'read:orders:*' is not one of the platform's scopes", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var badProfile = await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["name"] = "Changed", ["token_profile"] = "jwt" }, admin);
        await AssertProblemCode(badProfile, 400, "invalid_request");

        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin);
        Assert.Equal(platform.PlatformId, shown["name"]!.GetValue<string>());
        Assert.Equal(1, shown["version"]!.GetValue<int>());
        Assert.Equal(platform.Hostnames, Strings(shown["hostnames"]));
        Assert.Equal(platform.Scopes, Strings(shown["scopes"]));
    }

    [Fact]
    public async Task Update_Returns400_WhenBodyHasNoField()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var response = await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject(), admin);

        await AssertProblemCode(response, 400, "invalid_request");
    }

    [Fact]
    public async Task Update_Returns404_WhenPlatformIsUnknown()
    {
        var response = await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/platforms/{UniqueId("nope")}", new JsonObject { ["name"] = "x" }, await shared.AdminTokenAsync());

        await AssertProblemCode(response, 404, "not_found");
    }

    [Fact]
    public async Task Delete_RemovesThePlatformAndEveryGrantOnIt()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        await Broker.GrantOkAsync(agent.KeyId, other.PlatformId, ["read:orders:*"], admin);

        var removed = await Broker.AdminOkAsync(HttpMethod.Delete, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin);

        Assert.Equal(platform.PlatformId, removed["platform_id"]!.GetValue<string>());
        Assert.Equal("removed", removed["status"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(removed["removed_at"]!.GetValue<string>(), out _));
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Get, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin), 404, "not_found");
        var view = await Broker.GetAgentAsync(agent.KeyId, admin);
        Assert.Equal([other.PlatformId], view["grants"]!.AsArray().Select(g => g!["platform_id"]!.GetValue<string>()));
        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), 400, "invalid_target", "invalid_target");
        await AssertProblemCode(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, platform.ClientSecret)), 401, "unauthorized");
        Assert.Single(await Broker.AuditAsync("platform_removed", adminToken: admin), e => e["resource"]?.GetValue<string>() == platform.PlatformId);
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Delete, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin), 404, "not_found");
    }

    [Fact]
    public async Task Create_GivesFreshCredentials_WhenARemovedPlatformIdIsReused()
    {
        string admin = await shared.AdminTokenAsync();
        var first = await Broker.CreatePlatformOkAsync(adminToken: admin);
        await Broker.AdminOkAsync(HttpMethod.Delete, $"/v1/admin/platforms/{first.PlatformId}", adminToken: admin);

        var second = await Broker.CreatePlatformOkAsync(first.PlatformId, adminToken: admin);

        Assert.NotEqual(first.ClientSecret, second.ClientSecret);
        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{first.PlatformId}", adminToken: admin);
        Assert.Equal(second.ClientId, shown["client_id"]!.GetValue<string>());
        Assert.Equal(200, (int)(await ScopesFileAsync(first.PlatformId, Basic(second.ClientId, second.ClientSecret))).StatusCode);
        await AssertProblemCode(await ScopesFileAsync(first.PlatformId, Basic(first.ClientId, first.ClientSecret)), 401, "unauthorized");
    }

    [Fact]
    public async Task RotateSecret_ReturnsNewSecret_AndOldOneWorksOnlyInsideTheGraceWindow()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var rotated = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/platforms/{platform.PlatformId}/rotate-secret", new JsonObject { ["grace_seconds"] = 60 }, adminToken: admin);

        Assert.Equal(platform.PlatformId, rotated["platform_id"]!.GetValue<string>());
        Assert.Equal(platform.ClientId, rotated["client_id"]!.GetValue<string>());
        string secret = rotated["client_secret"]!.GetValue<string>();
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", secret);
        Assert.NotEqual(platform.ClientSecret, secret);
        Assert.Equal(Rfc3339(Broker.Time.GetUtcNow().AddSeconds(60)), rotated["previous_secret_valid_until"]!.GetValue<string>());
        Assert.Equal(200, (int)(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, secret))).StatusCode);
        Assert.Equal(200, (int)(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, platform.ClientSecret))).StatusCode);

        var immediate = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/platforms/{platform.PlatformId}/rotate-secret", new JsonObject { ["grace_seconds"] = 0 }, adminToken: admin);

        Assert.Null(immediate["previous_secret_valid_until"]?.GetValue<string>());
        await AssertProblemCode(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, secret)), 401, "unauthorized");
        Assert.Equal(200, (int)(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, immediate["client_secret"]!.GetValue<string>()))).StatusCode);
    }

    [Fact]
    public async Task RotateSecret_Returns400_WhenGraceIsOutOfRange()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        var response = await Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/platforms/{platform.PlatformId}/rotate-secret", new JsonObject { ["grace_seconds"] = -1 }, admin);

        await AssertProblemCode(response, 400, "invalid_request");
        Assert.Equal(200, (int)(await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, platform.ClientSecret))).StatusCode);
    }

    [Fact]
    public async Task ScopesFile_RendersTheRoutes_ForAnAdminAndForThePlatformItself()
    {
        string admin = await shared.AdminTokenAsync();
        var routes = new JsonArray(
            Route("GET", "/orders/{id}", "read:orders:*"),
            new JsonObject { ["method"] = "POST", ["path"] = "/orders", ["scopes"] = Array("write:orders:*", "read:orders:*"), ["match"] = "all" },
            new JsonObject { ["method"] = "GET", ["path"] = "/health", ["public"] = true },
            new JsonObject { ["method"] = "GET", ["path"] = "/static/{*rest}", ["skip"] = true },
            Route("PUT", "/say \"hi\"\\: #x", "write:orders:*"));
        var platform = await Broker.CreatePlatformOkAsync(routes: routes, adminToken: admin);

        var byAdmin = await ScopesFileAsync(platform.PlatformId, bearer: admin);
        var byPlatform = await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, platform.ClientSecret));

        Assert.Equal(200, (int)byAdmin.StatusCode);
        Assert.Equal(200, (int)byPlatform.StatusCode);
        Assert.Contains("yaml", byAdmin.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("no-store", byPlatform.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        string yaml = await byPlatform.Content.ReadAsStringAsync();
        Assert.Equal(await byAdmin.Content.ReadAsStringAsync(), yaml);

        // The broker renders with JSON-escaped double-quoted scalars, so no value can break the
        // document's structure, and in the order the verifier tries the rules (route precedence,
        // stored order on a tie). (Broker.Tests cannot reference Tessera.AspNetCore's ScopesFile
        // parser; the exact text is pinned here instead.)
        string expected =
            "# Generated by the Tessera broker. Edit the platform's routes at the broker, not this file.\n" +
            $"platform_id: \"{platform.PlatformId}\"\n" +
            "version: 1\n" +
            "routes:\n" +
            "  - method: \"POST\"\n" +
            "    path: \"/orders\"\n" +
            "    scopes: [\"write:orders:*\", \"read:orders:*\"]\n" +
            "    match: all\n" +
            "  - method: \"GET\"\n" +
            "    path: \"/health\"\n" +
            "    public: true\n" +
            "  - method: \"PUT\"\n" +
            "    path: \"/say \\u0022hi\\u0022\\\\: #x\"\n" +
            "    scope: \"write:orders:*\"\n" +
            "  - method: \"GET\"\n" +
            "    path: \"/orders/{id}\"\n" +
            "    scope: \"read:orders:*\"\n" +
            "  - method: \"GET\"\n" +
            "    path: \"/static/{*rest}\"\n" +
            "    skip: true\n";
        Assert.Equal(expected, yaml);
    }

    [Fact]
    public async Task ScopesFile_ListsLiteralRoutesBeforeParametersAndCatchAlls_WhateverTheStoredOrder()
    {
        string admin = await shared.AdminTokenAsync();
        var routes = new JsonArray(
            new JsonObject { ["method"] = "GET", ["path"] = "/{*rest}", ["public"] = true },
            Route("GET", "/orders/{id}", "read:orders:*"),
            Route("GET", "/orders/{id}.json", "read:orders:*"),
            Route("GET", "/orders/export", "write:orders:*"),
            new JsonObject { ["method"] = "GET", ["path"] = "/internal/debug", ["skip"] = true });
        var platform = await Broker.CreatePlatformOkAsync(routes: routes, adminToken: admin);

        string yaml = await (await ScopesFileAsync(platform.PlatformId, bearer: admin)).Content.ReadAsStringAsync();

        var paths = yaml.Split('\n').Where(l => l.StartsWith("    path: ", StringComparison.Ordinal)).Select(l => l[10..]).ToArray();
        Assert.Equal(["\"/orders/export\"", "\"/internal/debug\"", "\"/orders/{id}.json\"", "\"/orders/{id}\"", "\"/{*rest}\""], paths);
        var shown = await Broker.AdminOkAsync(HttpMethod.Get, $"/v1/admin/platforms/{platform.PlatformId}", adminToken: admin);
        Assert.Equal("/{*rest}", shown["routes"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScopesFile_RendersAnEmptyList_WhenThePlatformHasNoRoutes()
    {
        var platform = await Broker.CreatePlatformOkAsync(adminToken: await shared.AdminTokenAsync());

        string yaml = await (await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, platform.ClientSecret))).Content.ReadAsStringAsync();

        Assert.EndsWith($"platform_id: \"{platform.PlatformId}\"\nversion: 1\nroutes: []\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopesFile_Returns401_WhenCredentialsAreAnotherPlatformsOrWrongOrMissing()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var other = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        var otherPlatforms = await ScopesFileAsync(platform.PlatformId, Basic(other.ClientId, other.ClientSecret));
        var wrongSecret = await ScopesFileAsync(platform.PlatformId, Basic(platform.ClientId, other.ClientSecret));
        var agentCredentials = await ScopesFileAsync(platform.PlatformId, Basic(agent.KeyId, agent.Secret!));
        var none = await ScopesFileAsync(platform.PlatformId);

        foreach (var response in new[] { otherPlatforms, wrongSecret, agentCredentials })
        {
            await AssertProblemCode(response, 401, "unauthorized");
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        Assert.Equal(401, (int)none.StatusCode);
    }

    [Fact]
    public async Task ScopesFile_Returns404_WhenPlatformIsUnknown()
    {
        var response = await ScopesFileAsync(UniqueId("nope"), bearer: await shared.AdminTokenAsync());

        await AssertProblemCode(response, 404, "not_found");
    }

    private async Task<HttpResponseMessage> ScopesFileAsync(string platformId, AuthenticationHeaderValue? basic = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{platformId}/scopes-file");
        request.Headers.Authorization = basic ?? (bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer));
        return await Broker.Client.SendAsync(request);
    }
}

/// <summary>The scopes file of a platform on the <c>mudraid</c> token profile (its own broker: the profile's RSA key file goes in that broker's directory).</summary>
public sealed class PlatformMudraidScopesFileTests
{
    [Fact]
    public async Task ScopesFile_Returns409_WhenTheMudraidProfileCannotExpressARoute()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?> { ["profile_signing_key_path"] = Path.Combine(directory, "signing-key-rs256.json") };
        await using var broker = await BrokerFixture.StartAsync(settings, directory);
        string admin = await broker.AdminTokenAsync();
        var platform = await broker.CreatePlatformOkAsync(routes: new JsonArray(Route("GET", "/orders", "read:orders:1"), Route("GET", "/orders/{id}", "read:orders:*")), adminToken: admin);
        await broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/platforms/{platform.PlatformId}", new JsonObject { ["token_profile"] = "mudraid" }, adminToken: admin);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{platform.PlatformId}/scopes-file");
        request.Headers.Authorization = Basic(platform.ClientId, platform.ClientSecret);
        var response = await broker.Client.SendAsync(request);

        var problem = await AssertProblemCode(response, 409, "conflict");
        Assert.Contains("routes[1]", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "signing-key-rs256.json")));
    }
}
