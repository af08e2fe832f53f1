using System.Buffers.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.Infrastructure.AppApi;
using static Tessera.Broker.Tests.Infrastructure.CredentialApi;

namespace Tessera.Broker.Tests;

/// <summary><c>private_key_jwt</c> client authentication at <c>POST /v1/token</c> (RFC 7523), with keys and signatures made here.</summary>
public sealed class ClientAssertionTests(SharedCredentialBroker shared) : IClassFixture<SharedCredentialBroker>
{
    private BrokerFixture Broker => shared.Broker;

    private DateTimeOffset Now => Broker.Time.GetUtcNow();

    [Theory]
    [InlineData("RS256")]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    public async Task Token_IssuesAToken_WhenAssertionIsSignedByARegisteredKey(string alg)
    {
        using var key = AssertionKey.Create(alg);
        var (platform, agent) = await KeyAgentAsync(key);

        var response = await AssertionExchangeAsync(key.Assertion(agent.KeyId, Now), platform.PlatformId);

        var json = await ReadJsonAsync(response, 200);
        var claims = Jwt.Payload(json["access_token"]!.GetValue<string>());
        Assert.Equal(agent.AgentId, claims["sub"]!.GetValue<string>());
        Assert.Equal(agent.KeyId, claims["client_id"]!.GetValue<string>());
        Assert.Equal([platform.PlatformId], Audience(claims));
        var exchanged = Assert.Single(await Broker.AuditAsync("token_exchanged", agent.AgentId, await shared.AdminTokenAsync()));
        Assert.Contains("method=private_key_jwt", exchanged["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://tessera.test")]
    [InlineData("http://tessera.test/")]
    [InlineData("http://tessera.test/v1/token")]
    public async Task Token_AcceptsTheIssuerOrTheTokenEndpointAsAudience(string audience)
    {
        using var key = AssertionKey.Create("EdDSA");
        var (platform, agent) = await KeyAgentAsync(key);

        var response = await AssertionExchangeAsync(key.Sign(AssertionKey.Claims(agent.KeyId, Now, audience)), platform.PlatformId);

        await ReadJsonAsync(response, 200);
    }

    [Fact]
    public async Task Token_AcceptsAnAudienceArrayContainingTheTokenEndpoint_AndAMatchingClientId()
    {
        using var key = AssertionKey.Create("ES256");
        var (platform, agent) = await KeyAgentAsync(key);
        var claims = AssertionKey.Claims(agent.KeyId, Now);
        claims["aud"] = Array("https://elsewhere.example.com", TokenEndpointAudience);

        var response = await AssertionExchangeAsync(key.Sign(claims), platform.PlatformId, clientId: agent.KeyId);

        await ReadJsonAsync(response, 200);
    }

    [Fact]
    public async Task Token_FindsTheKeyByKid_WhenTheAgentHasSeveralKeys()
    {
        using var rsa = AssertionKey.Create("RS256");
        using var ed = AssertionKey.Create("EdDSA");
        var (platform, agent) = await KeyAgentAsync(new JsonObject { ["keys"] = new JsonArray(rsa.Jwk(), ed.Jwk()) });

        await ReadJsonAsync(await AssertionExchangeAsync(rsa.Assertion(agent.KeyId, Now), platform.PlatformId), 200);
        await ReadJsonAsync(await AssertionExchangeAsync(ed.Assertion(agent.KeyId, Now), platform.PlatformId), 200);
    }

    /// <summary>Each case: how the assertion is spoiled.</summary>
    public static TheoryData<string> Spoiled => new()
    {
        "wrong audience",
        "audience of another token endpoint",
        "no audience",
        "expired",
        "exp more than five minutes ahead",
        "no exp",
        "not yet valid",
        "no jti",
        "iss differs from sub",
        "iss is an unknown key id",
        "alg does not match the key",
        "unknown kid",
        "alg none",
        "alg HS256",
        "tampered signature",
        "tampered payload",
        "signed by an unregistered key with the registered kid",
        "client_id differs from iss",
        "not a JWS",
    };

    [Theory]
    [MemberData(nameof(Spoiled))]
    public async Task Token_Returns401InvalidClient_WhenTheAssertionIsSpoiled(string how)
    {
        using var key = AssertionKey.Create("ES256");
        using var other = AssertionKey.Create("ES256", key.KeyId);
        using var rsa = AssertionKey.Create("RS256");
        var (platform, agent) = await KeyAgentAsync(key);
        var another = await Broker.CreateAgentOkAsync(jwks: key.Jwks(), adminToken: await shared.AdminTokenAsync());
        var claims = AssertionKey.Claims(agent.KeyId, Now);
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = key.KeyId, ["typ"] = "JWT" };
        string? clientId = null;
        string assertion;
        switch (how)
        {
            case "wrong audience": claims["aud"] = "https://api.example.com"; break;
            case "audience of another token endpoint": claims["aud"] = "http://tessera.other/v1/token"; break;
            case "no audience": claims.Remove("aud"); break;
            case "expired": claims["exp"] = Now.ToUnixTimeSeconds() - 60; break;
            case "exp more than five minutes ahead": claims["exp"] = Now.ToUnixTimeSeconds() + 400; break;
            case "no exp": claims.Remove("exp"); break;
            case "not yet valid": claims["nbf"] = Now.ToUnixTimeSeconds() + 120; break;
            case "no jti": claims.Remove("jti"); break;
            case "iss differs from sub": claims["sub"] = another.KeyId; break;
            case "iss is an unknown key id": claims["iss"] = "tsr_kid_" + new string('e', 32); claims["sub"] = "tsr_kid_" + new string('e', 32); break;
            case "alg does not match the key": header["alg"] = "RS256"; break;
            case "unknown kid": header["kid"] = "nope"; break;
            case "client_id differs from iss": clientId = another.KeyId; break;
            default: break;
        }

        assertion = how switch
        {
            "alg does not match the key" => rsa.Sign(claims, header),
            "alg none" => Jwt.Encode(new JsonObject { ["alg"] = "none", ["kid"] = key.KeyId }) + "." + Jwt.Encode(claims) + ".",
            "alg HS256" => Jwt.Encode(new JsonObject { ["alg"] = "HS256", ["kid"] = key.KeyId }) + "." + Jwt.Encode(claims) + "." + Base64Url.EncodeToString(new byte[32]),
            "tampered signature" => Tamper(key.Sign(claims, header), 2),
            "tampered payload" => Jwt.WithPayload(key.Sign(claims, header), new JsonObject(claims.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).Append(KeyValuePair.Create("extra", (JsonNode?)"x")))),
            "signed by an unregistered key with the registered kid" => other.Sign(claims, header),
            "not a JWS" => "not-a-jws",
            _ => key.Sign(claims, header),
        };

        var response = await AssertionExchangeAsync(assertion, platform.PlatformId, clientId);

        await AssertOAuthError(response, 401, "invalid_client", "invalid_client");
        Assert.Empty(await Broker.AuditAsync("token_exchanged", agent.AgentId, await shared.AdminTokenAsync()));
    }

    [Fact]
    public async Task Token_Returns401InvalidClient_WhenAnAssertionIsReplayed()
    {
        using var key = AssertionKey.Create("EdDSA");
        var (platform, agent) = await KeyAgentAsync(key);
        string assertion = key.Assertion(agent.KeyId, Now);

        await ReadJsonAsync(await AssertionExchangeAsync(assertion, platform.PlatformId), 200);
        var replay = await AssertionExchangeAsync(assertion, platform.PlatformId);

        var error = await AssertOAuthError(replay, 401, "invalid_client", "invalid_client");
        Assert.Contains("jti", error["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_AcceptsOneAssertionExactlyOnce_WhenUsedConcurrently()
    {
        using var key = AssertionKey.Create("ES256");
        var (platform, agent) = await KeyAgentAsync(key);
        string assertion = key.Assertion(agent.KeyId, Now);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => AssertionExchangeAsync(assertion, platform.PlatformId)));

        Assert.Equal(1, responses.Count(r => (int)r.StatusCode == 200));
        foreach (var failed in responses.Where(r => (int)r.StatusCode != 200))
        {
            await AssertOAuthError(failed, 401, "invalid_client", "invalid_client");
        }

        Assert.Single(await Broker.AuditAsync("token_exchanged", agent.AgentId, await shared.AdminTokenAsync()));
    }

    [Fact]
    public async Task Token_Returns401InvalidClient_WhenAssertionTypeIsWrongOrAssertionMissing()
    {
        using var key = AssertionKey.Create("EdDSA");
        var (platform, agent) = await KeyAgentAsync(key);

        var wrongType = await Broker.TokenFormAsync(
            [new("grant_type", "client_credentials"), new("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), new("client_assertion", key.Assertion(agent.KeyId, Now)), new("resource", platform.PlatformId)]);
        var noAssertion = await Broker.TokenFormAsync(
            [new("grant_type", "client_credentials"), new("client_assertion_type", AssertionType), new("resource", platform.PlatformId)]);

        await AssertOAuthError(wrongType, 401, "invalid_client", "invalid_client");
        await AssertOAuthError(noAssertion, 401, "invalid_client", "invalid_client");
    }

    [Fact]
    public async Task Token_Refuses_ASecretForAKeyOnlyAgent_AndAnAssertionForASecretOnlyAgent()
    {
        string admin = await shared.AdminTokenAsync();
        using var key = AssertionKey.Create("EdDSA");
        var (platform, keyOnly) = await KeyAgentAsync(key);
        var secretOnly = await Broker.CreateAgentOkAsync(adminToken: admin);
        await Broker.GrantOkAsync(secretOnly.KeyId, platform.PlatformId, ["read:orders:*"], admin);

        var guessedSecret = await Broker.ExchangeAsync(keyOnly.KeyId, "tsr_sk_" + new string('A', 43), platform.PlatformId);
        var assertionForSecretAgent = await AssertionExchangeAsync(key.Assertion(secretOnly.KeyId, Now), platform.PlatformId);

        await AssertOAuthError(guessedSecret, 401, "invalid_client", "invalid_client");
        await AssertOAuthError(assertionForSecretAgent, 401, "invalid_client", "invalid_client");
    }

    [Fact]
    public async Task Token_RefusesAgentSuspended_WhenAValidAssertionComesFromASuspendedAgent()
    {
        string admin = await shared.AdminTokenAsync();
        using var key = AssertionKey.Create("RS256");
        var (platform, agent) = await KeyAgentAsync(key);
        await Broker.AdminOkAsync(HttpMethod.Post, $"/v1/admin/agents/{agent.KeyId}/suspend", adminToken: admin);

        var response = await AssertionExchangeAsync(key.Assertion(agent.KeyId, Now), platform.PlatformId);

        await AssertOAuthError(response, UnauthorizedClientStatus, "unauthorized_client", "agent_suspended");
    }

    [Fact]
    public async Task Token_UsesTheNewKey_WhenTheAgentsJwksIsReplaced()
    {
        using var oldKey = AssertionKey.Create("EdDSA");
        using var newKey = AssertionKey.Create("ES256");
        var (platform, agent) = await KeyAgentAsync(oldKey);

        var view = await Broker.AdminOkAsync(HttpMethod.Put, $"/v1/admin/agents/{agent.KeyId}", new JsonObject { ["jwks"] = newKey.Jwks() }, adminToken: await shared.AdminTokenAsync());

        Assert.Equal([newKey.KeyId], Strings(view["key_ids"]));
        await AssertOAuthError(await AssertionExchangeAsync(oldKey.Assertion(agent.KeyId, Now), platform.PlatformId), 401, "invalid_client", "invalid_client");
        await ReadJsonAsync(await AssertionExchangeAsync(newKey.Assertion(agent.KeyId, Now), platform.PlatformId), 200);
    }

    private Task<(TestPlatform Platform, TestCredentialAgent Agent)> KeyAgentAsync(AssertionKey key) => KeyAgentAsync(key.Jwks());

    private async Task<(TestPlatform Platform, TestCredentialAgent Agent)> KeyAgentAsync(JsonObject jwks)
    {
        string admin = await shared.AdminTokenAsync();
        var platform = await Broker.CreatePlatformOkAsync(adminToken: admin);
        var agent = await Broker.CreateAgentOkAsync(jwks: jwks, adminToken: admin);
        Assert.Null(agent.Secret);
        await Broker.GrantOkAsync(agent.KeyId, platform.PlatformId, ["read:orders:*"], admin);
        return (platform, agent);
    }

    private Task<HttpResponseMessage> AssertionExchangeAsync(string assertion, string resource, string? clientId = null)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_assertion_type", AssertionType),
            new("client_assertion", assertion),
            new("resource", resource),
        };
        if (clientId is not null)
        {
            form.Add(new("client_id", clientId));
        }

        return Broker.TokenFormAsync(form);
    }

    /// <summary>Flips one bit in the middle of segment <paramref name="index"/>, keeping it valid base64url.</summary>
    private static string Tamper(string jws, int index)
    {
        var parts = jws.Split('.');
        byte[] bytes = Base64Url.DecodeFromChars(parts[index]);
        bytes[bytes.Length / 2] ^= 0x01;
        parts[index] = Base64Url.EncodeToString(bytes);
        return string.Join('.', parts);
    }
}
