using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Core.Tests.Support;

/// <summary>Builds tokens by hand so tests can sign exactly the header and payload they want.</summary>
internal static class Jwt
{
    public const string Issuer = "https://tessera.test";
    public const string Audience = "orders-api";
    public const string Subject = "spiffe://tessera.local/agent/orch-1/task-1/0123456789abcdef";
    public const string JwtId = "0123456789abcdef0123456789abcdef";

    /// <summary>A fixed "now" for tests that do not need a clock.</summary>
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);

    public static AccessTokenClaims Claims(DateTimeOffset now, params string[] scopes) => new()
    {
        Issuer = Issuer,
        Subject = Subject,
        Audience = [Audience],
        IssuedAt = now.ToUnixTimeSeconds(),
        NotBefore = now.ToUnixTimeSeconds(),
        ExpiresAt = now.ToUnixTimeSeconds() + 300,
        JwtId = JwtId,
        Scope = scopes.Length == 0 ? ["read:data:customer-123", "orders:read"] : scopes,
    };

    public static TokenVerifier Verifier(SigningAlgorithm algorithm, IVerificationKeySource? keys = null, string? audience = Audience) =>
        new(keys ?? new SigningKeyRing(TestKeys.For(algorithm)), new TokenVerifierOptions
        {
            Algorithm = algorithm,
            ValidIssuers = [Issuer],
            Audience = audience,
        });

    public static string B64(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    public static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);

    public static string DecodeSegment(string segment) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(segment));

    public static string[] Segments(string token) => token.Split('.');

    /// <summary>The header JSON Tessera writes for <paramref name="key"/>.</summary>
    public static string HeaderFor(SigningKey key) =>
        $$"""{"alg":"{{key.Algorithm.Name()}}","kid":"{{key.KeyId}}","typ":"at+jwt"}""";

    /// <summary>A valid payload for <paramref name="now"/>, as a mutable JSON object.</summary>
    public static JsonObject Payload(DateTimeOffset now) => new()
    {
        ["iss"] = Issuer,
        ["sub"] = Subject,
        ["aud"] = Audience,
        ["exp"] = now.ToUnixTimeSeconds() + 300,
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["iat"] = now.ToUnixTimeSeconds(),
        ["jti"] = JwtId,
        ["scope"] = "read:data:customer-123 orders:read",
    };

    /// <summary>Signs arbitrary header and payload JSON with <paramref name="key"/>.</summary>
    public static string Sign(SigningKey key, string headerJson, string payloadJson) =>
        SignSegments(key, B64(headerJson), B64(payloadJson));

    public static string Sign(SigningKey key, JsonObject payload) => Sign(key, HeaderFor(key), payload.ToJsonString());

    /// <summary>Signs already-encoded segments (which need not be valid base64url).</summary>
    public static string SignSegments(SigningKey key, string headerSegment, string payloadSegment)
    {
        string signingInput = headerSegment + "." + payloadSegment;
        var signature = new byte[key.SignatureSize];
        int written = key.Sign(Encoding.ASCII.GetBytes(signingInput), signature);
        return signingInput + "." + B64(signature[..written]);
    }

    public static JsonElement ParseJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    public static string JwkJson(VerificationKey key)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            key.WriteJwk(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Validates and records any exception instead of letting it escape.</summary>
    public static TokenValidationResult ValidateNoThrow(TokenVerifier verifier, string? token, DateTimeOffset now)
    {
        TokenValidationResult result = default;
        var ex = Record.Exception(() => result = verifier.Validate(token, now));
        Assert.Null(ex);
        return result;
    }
}

/// <summary>A key source that counts lookups, to prove a check happens before key lookup.</summary>
internal sealed class CountingKeySource(IVerificationKeySource inner) : IVerificationKeySource
{
    public int Lookups { get; private set; }

    public bool TryGetKey(string keyId, out VerificationKey? key)
    {
        Lookups++;
        return inner.TryGetKey(keyId, out key);
    }
}
