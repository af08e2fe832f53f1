using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary>Agents with standing credentials: <c>/v1/admin/agents</c>, grants, and status changes.</summary>
public sealed class AgentCredentialTests(SharedCredentialBroker shared) : IClassFixture<SharedCredentialBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task Create_Returns201WithKeyIdAndSecretShownOnce_WhenRequestIsValid()
    {
        string admin = await shared.AdminTokenAsync();
        string name = UniqueId("billing-bot");
        var body = new JsonObject { ["name"] = name, ["owner"] = "team-billing", ["metadata"] = new JsonObject { ["env"] = "prod", ["ticket"] = "OPS-1" }, ["token_ttl"] = 600 };

        var json = await Broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/agents", body, 201, admin);

        string agentId = json["agent_id"]!.GetValue<string>();
        string keyId = json["key_id"]!.GetValue<string>();
        string secret = json["secret"]!.GetValue<string>();
        Assert.Matches($"^spiffe://tessera\\.test/agent/cred/{name}/[0-9a-f]{{16}}$", agentId);
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", keyId);
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal(name, json["name"]!.GetValue<string>());
        Assert.Equal("team-billing", json["owner"]!.GetValue<string>());
        Assert.Equal("prod", json["metadata"]!["env"]!.GetValue<string>());
        Assert.Equal("active", json["status"]!.GetValue<string>());
        Assert.Equal("client_secret", json["token_endpoint_auth_method"]!.GetValue<string>());

        var byKeyId = await Broker.GetAgentAsync(keyId, admin);
        var byAgentId = await Broker.GetAgentAsync(Uri.EscapeDataString(agentId), admin);
        foreach (var view in new[] { byKeyId, byAgentId })
        {
            Assert.Equal(agentId, view["agent_id"]!.GetValue<string>());
            Assert.Equal(keyId, view["key_id"]!.GetValue<string>());
            Assert.False(view.ContainsKey("secret"));
            Assert.Equal("OPS-1", view["metadata"]!["ticket"]!.GetValue<string>());
            Assert.Equal(600, view["token_ttl"]!.GetValue<int>());
            Assert.Empty(view["grants"]!.AsArray());
            Assert.Equal(0, view["consecutive_denials"]!.GetValue<int>());
            Assert.Null(view["previous_secret_valid_until"]?.GetValue<string>());
        }

        string listText = await (await Broker.AdminAsync(HttpMethod.Get, "/v1/admin/agents?search=" + name, adminToken: admin)).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listText, StringComparison.Ordinal);
        var list = JsonNode.Parse(listText)!.AsObject();
        Assert.Contains(list["agents"]!.AsArray(), a => a!["key_id"]!.GetValue<string>() == keyId);
        Assert.Equal(list["agents"]!.AsArray().Count, list["total"]!.GetValue<int>());
        Assert.Single(await Broker.AuditAsync("agent_created", agentId, admin));
    }

    [Fact]
    public async Task Create_Answers201AsJsonWithoutLocation_WhenRequestIsValid()
    {
        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/agents", new JsonObject { ["name"] = UniqueId("headers-bot") }, await shared.AdminTokenAsync());

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Create_Returns409Conflict_WhenNameIsTaken()
    {
        string admin = await shared.AdminTokenAsync();
        string name = UniqueId("dup");
        await Broker.CreateAgentOkAsync(name, adminToken: admin);

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/agents", new JsonObject { ["name"] = name }, admin);

        await AssertProblemCode(response, 409, "conflict");
    }

    public static TheoryData<string, string, string> BadAgents => new()
    {
        { "name missing", """{}""", "invalid_request" },
        { "name upper case", """{"name":"Bot"}""", "invalid_request" },
        { "name double hyphen", """{"name":"my--bot"}""", "invalid_request" },
        { "owner too long", $$"""{"name":"n","owner":"{{new string('o', 257)}}"}""", "invalid_request" },
        { "owner control char", """{"name":"n","owner":"a\u0007b"}""", "invalid_request" },
        { "metadata key too long", "{\"name\":\"n\",\"metadata\":{\"" + new string('k', 65) + "\":\"v\"}}", "invalid_request" },
        { "metadata value too long", "{\"name\":\"n\",\"metadata\":{\"k\":\"" + new string('v', 1025) + "\"}}", "invalid_request" },
        { "metadata value null", """{"name":"n","metadata":{"k":null}}""", "invalid_request" },
        { "metadata too many", "{\"name\":\"n\",\"metadata\":{" + string.Join(',', Enumerable.Range(0, 33).Select(i => $"\"k{i}\":\"v\"")) + "}}", "invalid_request" },
        { "ttl too short", """{"name":"n","token_ttl":59}""", "invalid_ttl" },
        { "ttl too long", """{"name":"n","token_ttl":86401}""", "invalid_ttl" },
        { "jwks not a set", """{"name":"n","jwks":{"kty":"OKP"}}""", "invalid_request" },
        { "jwk without kid", """{"name":"n","jwks":{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}}""", "invalid_request" },
        { "jwk hmac", """{"name":"n","jwks":{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}}""", "invalid_request" },
    };

    [Theory]
    [MemberData(nameof(BadAgents))]
    public async Task Create_Returns400_WhenAFieldBreaksItsLimit(string name, string body, string code)
    {
        _ = name;
        var json = JsonNode.Parse(body)!.AsObject();
        if (json["name"]?.GetValue<string>() == "n")
        {
            json["name"] = UniqueId("n");
        }

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/agents", json, await shared.AdminTokenAsync());

        await AssertProblemCode(response, 400, code);
    }

    [Fact]
    public async Task Create_AcceptsLimits_WhenExactlyAtTheEdge()
    {
        var metadata = new JsonObject();
        for (int i = 0; i < 32; i++)
        {
            metadata[$"k{i}"] = new string('v', 1024);
        }

        metadata[new string('k', 64)] = "";
        metadata.Remove("k0");
        var body = new JsonObject { ["name"] = UniqueId("edge"), ["owner"] = new string('o', 256), ["metadata"] = metadata, ["token_ttl"] = 60 };

        var json = await Broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/agents", body, 201, await shared.AdminTokenAsync());

        Assert.Equal(32, json["metadata"]!.AsObject().Count);
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    public async Task Create_Returns400_WhenJwksCarriesPrivateKeyMaterial(string alg)
    {
        using var key = AssertionKey.Create(alg);
        string name = UniqueId("leaky");
        string admin = await shared.AdminTokenAsync();

        var response = await Broker.AdminAsync(HttpMethod.Post, "/v1/admin/agents", new JsonObject { ["name"] = name, ["jwks"] = key.Jwks(withPrivate: true) }, admin);

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.Equal("jwks: keys[0] contains private key material; send the public key only", problem["detail"]!.GetValue<string>());
        var list = await Broker.AdminOkAsync(HttpMethod.Get, "/v1/admin/agents?search=" + name, adminToken: admin);
        Assert.DoesNotContain(list["agents"]!.AsArray(), a => a!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Create_GivesNoSecret_WhenAgentRegistersKeysOnly()
    {
        string admin = await shared.AdminTokenAsync();
        using var ed = AssertionKey.Create("EdDSA");
        using var ec = AssertionKey.Create("ES256");
        var jwks = new JsonObject { ["keys"] = new JsonArray(ed.Jwk(), ec.Jwk()) };

        var json = await Broker.AdminOkAsync(HttpMethod.Post, "/v1/admin/agents", new JsonObject { ["name"] = UniqueId("keyonly"), ["jwks"] = jwks }, 201, admin);

        Assert.True(json.ContainsKey("secret"));
        Assert.Null(json["secret"]);
        Assert.Equal("private_key_jwt", json["token_endpoint_auth_method"]!.GetValue<string>());
        Assert.Equal([ed.KeyId, ec.KeyId], Strings(json["key_ids"]));
        var rotate = await Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{json["key_id"]!.GetValue<string>()}/rotate-secret", adminToken: admin);
        await AssertProblemCode(rotate, 409, "conflict");
    }

    [Fact]
    public async Task Create_Returns400_WhenTwoKeysShareAKid()
    {
        using var a = AssertionKey.Create("EdDSA", "same");
        using var b = AssertionKey.Create("ES256", "same");

        var response = await Broker.AdminAsync(
            HttpMethod.Post, "/v1/admin/agents", new JsonObject { ["name"] = UniqueId("dupkid"), ["jwks"] = new JsonObject { ["keys"] = new JsonArray(a.Jwk(), b.Jwk()) } }, await shared.AdminTokenAsync());

        var problem = await AssertProblemCode(response, 400, "invalid_request");
        Assert.Equal("jwks: keys[1]: duplicate kid", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Grant_SetsAndReplacesTheGrant_WhenScopesAreCoveredByThePlatform()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(scopes: ["read:orders:*", "write:orders:own"], adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        var first = await Broker.GrantOkAsync(agent.KeyId, platform.PlatformId, ["read:orders:42", "write:orders:own"], admin);
        var replaced = await Broker.GrantOkAsync(Uri.EscapeDataString(agent.AgentId), platform.PlatformId, ["read:orders:*"], admin);

        Assert.Equal(["read:orders:42", "write:orders:own"], Strings(first["grants"]![0]!["scopes"]));
        var grant = Assert.Single(replaced["grants"]!.AsArray());
        Assert.Equal(platform.PlatformId, grant!["platform_id"]!.GetValue<string>());
        Assert.Equal(["read:orders:*"], Strings(grant["scopes"]));
        var audit = await Broker.AuditAsync("grant_set", agent.AgentId, admin);
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal(platform.PlatformId, e["resource"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("write:orders:*")]
    [InlineData("read:*:*")]
    [InlineData("delete:orders:1")]
    public async Task Grant_Returns403ScopeViolation_WhenAScopeIsNotThePlatforms(string scope)
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(scopes: ["read:orders:*", "write:orders:own"], adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        var response = await Broker.GrantAsync(agent.KeyId, platform.PlatformId, ["read:orders:1", scope], admin);

        var problem = await AssertProblemCode(response, 403, "scope_violation");
        Assert.Contains(scope, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await Broker.GetAgentAsync(agent.KeyId, admin))["grants"]!.AsArray());
    }

    [Fact]
    public async Task Grant_Returns404_WhenPlatformOrAgentIsUnknown()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        await AssertProblemCode(await Broker.GrantAsync(agent.KeyId, UniqueId("nope"), ["read:orders:*"], admin), 404, "not_found");
        await AssertProblemCode(await Broker.GrantAsync("tsr_kid_" + new string('0', 32), platform.PlatformId, ["read:orders:*"], admin), 404, "not_found");
        await AssertProblemCode(await Broker.GrantAsync(Uri.EscapeDataString(agent.AgentId + "x"), platform.PlatformId, ["read:orders:*"], admin), 404, "not_found");
    }

    [Fact]
    public async Task Grant_Returns400_WhenScopesAreEmptyOrMalformed()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        await AssertProblemCode(await Broker.GrantAsync(agent.KeyId, platform.PlatformId, [], admin), 400, "invalid_request");
        await AssertProblemCode(await Broker.GrantAsync(agent.KeyId, platform.PlatformId, ["read"], admin), 400, "invalid_scope_format");
        await AssertProblemCode(await Broker.GrantAsync(agent.KeyId, "", ["read:orders:*"], admin), 400, "invalid_request");
    }

    [Fact]
    public async Task RemoveGrant_TakesTheGrantAway_AndReturns404TheSecondTime()
    {
        string admin = await shared.AdminTokenAsync();
        var (platform, agent) = await Broker.PlatformWithAgentAsync(adminToken: admin);

        var view = await Broker.AdminOkAsync(HttpMethod.Delete, $"/v1/admin/agents/{agent.KeyId}/grants/{platform.PlatformId}", adminToken: admin);

        Assert.Empty(view["grants"]!.AsArray());
        Assert.Single(await Broker.AuditAsync("grant_removed", agent.AgentId, admin));
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Delete, $"/v1/admin/agents/{agent.KeyId}/grants/{platform.PlatformId}", adminToken: admin), 404, "not_found");
        await AssertOAuthError(await Broker.ExchangeAsync(agent.KeyId, agent.Secret!, platform.PlatformId), 400, "invalid_target", "platform_not_granted");
    }

    [Fact]
    public async Task Update_ChangesOwnerMetadataAndTtl_AndKeepsTheRest()
    {
        string admin = await shared.AdminTokenAsync();
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        var view = await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/agents/{agent.KeyId}", new JsonObject { ["owner"] = "new-owner", ["token_ttl"] = 120 }, adminToken: admin);

        Assert.Equal("new-owner", view["owner"]!.GetValue<string>());
        Assert.Equal(120, view["token_ttl"]!.GetValue<int>());
        Assert.Equal(agent.AgentId, view["agent_id"]!.GetValue<string>());
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/agents/{agent.KeyId}", new JsonObject(), admin), 400, "invalid_request");
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Put, $"/v1/admin/agents/{agent.KeyId}", new JsonObject { ["token_ttl"] = 5 }, admin), 400, "invalid_ttl");
        Assert.Equal(120, (await Broker.GetAgentAsync(agent.KeyId, admin))["token_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task SuspendUnsuspendRevoke_MoveTheStatus_AndRevokedIsFinal()
    {
        string admin = await shared.AdminTokenAsync();
        var agent = await Broker.CreateAgentOkAsync(adminToken: admin);

        var suspended = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", new JsonObject { ["reason"] = "investigating" }, adminToken: admin);
        var again = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);
        var active = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{Uri.EscapeDataString(agent.AgentId)}/unsuspend", adminToken: admin);
        var revoked = await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/revoke", new JsonObject { ["reason"] = "compromised" }, adminToken: admin);

        Assert.Equal("suspended", suspended["status"]!.GetValue<string>());
        Assert.Equal("investigating", suspended["status_reason"]!.GetValue<string>());
        Assert.Equal("suspended", again["status"]!.GetValue<string>());
        Assert.Equal("active", active["status"]!.GetValue<string>());
        Assert.Equal("revoked", revoked["status"]!.GetValue<string>());
        Assert.Equal("compromised", revoked["status_reason"]!.GetValue<string>());
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/unsuspend", adminToken: admin), 409, "conflict");
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/rotate-secret", adminToken: admin), 409, "conflict");
        Assert.Single(await Broker.AuditAsync("agent_suspended", agent.AgentId, admin));
        Assert.Single(await Broker.AuditAsync("agent_unsuspended", agent.AgentId, admin));
        Assert.Single(await Broker.AuditAsync("agent_revoked", agent.AgentId, admin));
    }

    [Fact]
    public async Task Get_Returns404_WhenIdIsUnknownOrNotAnAgent()
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);

        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Get, "/v1/admin/agents/tsr_kid_" + new string('f', 32), adminToken: admin), 404, "not_found");
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Get, $"/v1/admin/agents/{platform.ClientId}", adminToken: admin), 404, "not_found");
        await AssertProblemCode(await Broker.AdminAsync(HttpMethod.Get, "/v1/admin/agents/" + Uri.EscapeDataString("spiffe://tessera.test/agent/cred/x/0000000000000000"), adminToken: admin), 404, "not_found");
    }

    [Fact]
    public async Task Agents_Return401_WhenNoAdminToken()
    {
        var response = await Broker.Client.PostAsync("/v1/admin/agents", Json(new JsonObject { ["name"] = UniqueId("x") }));

        Assert.Equal(401, (int)response.StatusCode);
    }
}
