using System.Text.Json;
using Tessera.Core.Tests.Support;
using Tessera.Keys;

namespace Tessera.Core.Tests;

/// <summary>The one JWK-set reader the verifier's key cache and the CLI's offline audit check share.</summary>
public sealed class JsonWebKeySetTests
{
    [Theory]
    [InlineData("array_root", "[]")]
    [InlineData("string_root", "\"keys\"")]
    [InlineData("no_keys_member", "{}")]
    [InlineData("keys_is_object", "{\"keys\":{}}")]
    [InlineData("keys_is_null", "{\"keys\":null}")]
    public void TryParse_ReturnsFalse_WhenNotASetOfKeys(string name, string json)
    {
        _ = name;
        bool ok = JsonWebKeySet.TryParse(Jwt.ParseJson(json), null, 64, out var keys, out string? error);

        Assert.False(ok);
        Assert.Empty(keys);
        Assert.Equal("JWK set has no keys array", error);
    }

    [Fact]
    public void TryParse_ReturnsEmptySet_WhenKeysArrayIsEmpty()
    {
        Assert.True(JsonWebKeySet.TryParse(Jwt.ParseJson("{\"keys\":[]}"), null, 64, out var keys, out string? error));
        Assert.Empty(keys);
        Assert.Null(error);
    }

    [Fact]
    public void TryParse_SkipsMembers_WhenNotUsableKeys()
    {
        using var good = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        string json = $$"""{"keys":[42,"x",{},{"kty":"OKP","crv":"Ed25519"},{"kty":"oct","kid":"s","k":"AAAA"},{{Jwt.JwkJson(good.PublicKey)}}]}""";

        Assert.True(JsonWebKeySet.TryParse(Jwt.ParseJson(json), null, 64, out var keys, out _));

        Assert.Equal([good.KeyId], keys.Keys);
    }

    [Fact]
    public void TryParse_KeepsOnlyPinnedAlgorithm_WhenAlgorithmGiven()
    {
        using var ed = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        using var es = SigningKey.Generate(SigningAlgorithm.ES256, TestKeys.CreatedAt);
        var set = Set(ed.PublicKey, es.PublicKey);

        Assert.True(JsonWebKeySet.TryParse(set, SigningAlgorithm.ES256, 64, out var pinned, out _));
        Assert.True(JsonWebKeySet.TryParse(set, null, 64, out var all, out _));

        Assert.Equal([es.KeyId], pinned.Keys);
        Assert.Equal(2, all.Count);
    }

    [Fact]
    public void TryParse_KeepsFirstMaxKeys_WhenTooManyKeys()
    {
        var generated = Enumerable.Range(0, 5).Select(_ => SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt)).ToList();
        try
        {
            Assert.True(JsonWebKeySet.TryParse(Set([.. generated.Select(k => k.PublicKey)]), null, 3, out var keys, out _));

            Assert.Equal(generated.Take(3).Select(k => k.KeyId).Order(StringComparer.Ordinal), keys.Keys.Order(StringComparer.Ordinal));
        }
        finally
        {
            generated.ForEach(k => k.Dispose());
        }
    }

    [Fact]
    public void TryParse_LaterKeyWins_WhenKidRepeats()
    {
        using var a = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        using var b = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        string json = $$"""{"keys":[{{WithKid(a.PublicKey, "k")}},{{WithKid(b.PublicKey, "k")}}]}""";

        Assert.True(JsonWebKeySet.TryParse(Jwt.ParseJson(json), null, 64, out var keys, out _));

        var kept = Assert.Single(keys);
        Assert.Equal("k", kept.Key);
        Assert.Equal(Jwt.ParseJson(Jwt.JwkJson(b.PublicKey)).GetProperty("x").GetString(), Jwt.ParseJson(Jwt.JwkJson(kept.Value)).GetProperty("x").GetString());
    }

    [Fact]
    public void TryParse_IgnoresRepeatedKid_WhenAlreadyFull()
    {
        using var a = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        using var b = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        string json = $$"""{"keys":[{{WithKid(a.PublicKey, "k")}},{{WithKid(b.PublicKey, "k")}}]}""";

        Assert.True(JsonWebKeySet.TryParse(Jwt.ParseJson(json), null, 1, out var keys, out _));

        Assert.Equal(Jwt.ParseJson(Jwt.JwkJson(a.PublicKey)).GetProperty("x").GetString(), Jwt.ParseJson(Jwt.JwkJson(keys["k"])).GetProperty("x").GetString());
    }

    [Fact]
    public void TryParse_Throws_WhenMaxKeysNegative() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => JsonWebKeySet.TryParse(Jwt.ParseJson("{\"keys\":[]}"), null, -1, out _, out _));

    private static JsonElement Set(params VerificationKey[] keys) =>
        Jwt.ParseJson($$"""{"keys":[{{string.Join(',', keys.Select(Jwt.JwkJson))}}]}""");

    // The same key material under another kid: TryFromJwk takes the kid as published.
    private static string WithKid(VerificationKey key, string kid)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Jwt.JwkJson(key))!.AsObject();
        node["kid"] = kid;
        return node.ToJsonString();
    }

    [Fact]
    public void TrySelect_ReturnsTheKeyOfTheKid_WhenItIsUniqueAndOfTheAlgorithm()
    {
        using var ed = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        using var es = SigningKey.Generate(SigningAlgorithm.ES256, TestKeys.CreatedAt);
        var set = Jwt.ParseJson($$"""{"keys":[{{Jwt.JwkJson(ed.PublicKey)}},{{Jwt.JwkJson(es.PublicKey)}}]}""");

        Assert.True(JsonWebKeySet.TrySelect(set, es.KeyId, SigningAlgorithm.ES256, out var key));
        using (key)
        {
            Assert.Equal(es.KeyId, key.KeyId);
        }

        Assert.False(JsonWebKeySet.TrySelect(set, es.KeyId, SigningAlgorithm.EdDSA, out key));
        Assert.Null(key);
        Assert.False(JsonWebKeySet.TrySelect(set, "unknown", SigningAlgorithm.ES256, out key));
        Assert.False(JsonWebKeySet.TrySelect(set, null, SigningAlgorithm.ES256, out key));
    }

    [Fact]
    public void TrySelect_ReturnsTheOnlyKey_WhenNoKidIsGiven()
    {
        using var ed = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        var set = Jwt.ParseJson($$"""{"keys":[{{Jwt.JwkJson(ed.PublicKey)}}]}""");

        Assert.True(JsonWebKeySet.TrySelect(set, null, SigningAlgorithm.EdDSA, out var key));
        key.Dispose();
        Assert.False(JsonWebKeySet.TrySelect(set, null, SigningAlgorithm.RS256, out _));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"keys\":[]}")]
    [InlineData("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"AAAA\"}]}")]
    public void TrySelect_ReturnsFalse_WhenNoUsableKeyIsSelected(string json)
    {
        Assert.False(JsonWebKeySet.TrySelect(Jwt.ParseJson(json), "k", SigningAlgorithm.EdDSA, out var key));
        Assert.Null(key);
    }

    [Fact]
    public void TrySelect_ReturnsFalse_WhenTwoMembersShareTheKid()
    {
        using var ed = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        string jwk = Jwt.JwkJson(ed.PublicKey);

        Assert.False(JsonWebKeySet.TrySelect(Jwt.ParseJson($$"""{"keys":[{{jwk}},{{jwk}}]}"""), ed.KeyId, SigningAlgorithm.EdDSA, out _));
    }
}
