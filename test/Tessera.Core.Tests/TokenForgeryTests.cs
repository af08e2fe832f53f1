using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tessera.Core.Tests.Support;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Core.Tests;

/// <summary>Hostile tokens: each is refused with the right <see cref="TokenError"/>, and none throws.</summary>
public sealed class TokenForgeryTests
{
    private static readonly SigningKey Key = TestKeys.For(SigningAlgorithm.EdDSA);
    private readonly TokenVerifier _verifier = Jwt.Verifier(SigningAlgorithm.EdDSA);

    private string ValidToken() => new TokenSigner().Sign(Jwt.Claims(Jwt.Now), Key);

    private TokenValidationResult Validate(string? token) => Jwt.ValidateNoThrow(_verifier, token, Jwt.Now);

    private void AssertRefused(string? token, TokenError expected, string? reason = null)
    {
        var result = Validate(token);
        Assert.False(result.IsValid);
        Assert.Null(result.Claims);
        Assert.Equal(expected, result.Error);
        if (reason is not null)
        {
            Assert.Equal(reason, result.Reason);
        }
    }

    [Fact]
    public void Validate_Accepts_ControlToken()
    {
        Assert.True(Validate(ValidToken()).IsValid);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    [InlineData("nOnE")]
    public void Validate_ReturnsMalformed_WhenAlgNoneWithEmptySignature(string alg)
    {
        string token = Jwt.B64($$"""{"alg":"{{alg}}","typ":"at+jwt"}""") + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString()) + ".";

        // Refused at the shape check: an empty third segment is not a compact JWS Tessera accepts.
        AssertRefused(token, TokenError.Malformed, "token is not a compact JWS");
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    public void Validate_ReturnsAlgorithmNotAllowed_WhenAlgNoneCarriesSignature(string alg)
    {
        var counting = new CountingKeySource(new SigningKeyRing(Key));
        var verifier = Jwt.Verifier(SigningAlgorithm.EdDSA, counting);
        string valid = ValidToken();
        string token = Jwt.B64($$"""{"alg":"{{alg}}","kid":"{{Key.KeyId}}","typ":"at+jwt"}""") + "." + Jwt.Segments(valid)[1] + "." + Jwt.Segments(valid)[2];

        var result = Jwt.ValidateNoThrow(verifier, token, Jwt.Now);

        Assert.Equal(TokenError.AlgorithmNotAllowed, result.Error);
        Assert.Equal("algorithm not allowed", result.Reason);
        Assert.Equal(0, counting.Lookups);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public void Validate_ReturnsAlgorithmNotAllowed_WhenHmacSignedWithPublicKeyAsSecret(string alg)
    {
        // The classic key-confusion attack: use the published key bytes as an HMAC secret.
        byte[][] secrets =
        [
            Encoding.UTF8.GetBytes(Jwt.JwkJson(Key.PublicKey)),
            System.Buffers.Text.Base64Url.DecodeFromChars(Jwt.ParseJson(Jwt.JwkJson(Key.PublicKey)).GetProperty("x").GetString()!),
        ];
        foreach (byte[] secret in secrets)
        {
            string signingInput = Jwt.B64($$"""{"alg":"{{alg}}","kid":"{{Key.KeyId}}","typ":"at+jwt"}""") + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString());
            byte[] mac = alg switch
            {
                "HS256" => HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
                "HS384" => HMACSHA384.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
                _ => HMACSHA512.HashData(secret, Encoding.ASCII.GetBytes(signingInput)),
            };

            AssertRefused(signingInput + "." + Jwt.B64(mac), TokenError.AlgorithmNotAllowed, "algorithm not allowed");
        }
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenHmacSignatureIsPresentedAsEdDsa()
    {
        byte[] secret = Encoding.UTF8.GetBytes(Jwt.JwkJson(Key.PublicKey));
        string signingInput = Jwt.B64(Jwt.HeaderFor(Key)) + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString());
        byte[] mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));

        AssertRefused(signingInput + "." + Jwt.B64(mac), TokenError.BadSignature, "signature verification failed");
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenPayloadAlteredKeepingSignature()
    {
        var parts = Jwt.Segments(ValidToken());
        var payload = Jwt.Payload(Jwt.Now);
        payload["scope"] = "admin:*:*";
        string forged = parts[0] + "." + Jwt.B64(payload.ToJsonString()) + "." + parts[2];

        AssertRefused(forged, TokenError.BadSignature, "signature verification failed");
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenHeaderAlteredKeepingSignature()
    {
        var parts = Jwt.Segments(ValidToken());
        string header = $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"at+jwt","x":1}""";

        AssertRefused(Jwt.B64(header) + "." + parts[1] + "." + parts[2], TokenError.BadSignature);
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenSignatureBitFlipped()
    {
        var parts = Jwt.Segments(ValidToken());
        byte[] signature = System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]);
        signature[10] ^= 0x01;

        AssertRefused(parts[0] + "." + parts[1] + "." + Jwt.B64(signature), TokenError.BadSignature);
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenSignedByUntrustedKeyClaimingTrustedKid()
    {
        string token = Jwt.Sign(TestKeys.Stranger, Jwt.HeaderFor(Key), Jwt.Payload(Jwt.Now).ToJsonString());

        AssertRefused(token, TokenError.BadSignature);
    }

    [Fact]
    public void Validate_ReturnsBadSignature_WhenSignatureIsShortenedOrExtended()
    {
        var parts = Jwt.Segments(ValidToken());
        byte[] signature = System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]);

        AssertRefused(parts[0] + "." + parts[1] + "." + Jwt.B64(signature[..60]), TokenError.BadSignature);
        AssertRefused(parts[0] + "." + parts[1] + "." + Jwt.B64([.. signature, 0]), TokenError.BadSignature);
        AssertRefused(parts[0] + "." + parts[1] + "." + Jwt.B64([.. signature, .. signature]), TokenError.BadSignature);
    }

    [Fact]
    public void Validate_Refuses_WhenSignatureTextIsCutMidCharacter()
    {
        // Cutting characters leaves a final character with non-zero unused bits: not canonical base64url.
        var parts = Jwt.Segments(ValidToken());

        var result = Validate(parts[0] + "." + parts[1] + "." + parts[2][..^4]);

        Assert.False(result.IsValid);
        Assert.True(result.Error is TokenError.Malformed or TokenError.BadSignature, result.Error.ToString());
    }

    [Fact]
    public void Validate_ReturnsUnknownKey_WhenKidIsNotPublished()
    {
        string token = Jwt.Sign(TestKeys.Stranger, Jwt.Payload(Jwt.Now));

        AssertRefused(token, TokenError.UnknownKey, "unknown signing key");
    }

    [Fact]
    public void Validate_ReturnsUnknownKey_WhenKidIsMissing()
    {
        string token = Jwt.Sign(Key, """{"alg":"EdDSA","typ":"at+jwt"}""", Jwt.Payload(Jwt.Now).ToJsonString());

        AssertRefused(token, TokenError.UnknownKey, "unknown signing key");
    }

    [Fact]
    public void Validate_ReturnsAlgorithmNotAllowed_WhenEdDsaTokenMeetsEs256PinnedVerifier()
    {
        var counting = new CountingKeySource(new SigningKeyRing(TestKeys.For(SigningAlgorithm.ES256), [Key]));
        var verifier = Jwt.Verifier(SigningAlgorithm.ES256, counting);

        var result = Jwt.ValidateNoThrow(verifier, ValidToken(), Jwt.Now);

        Assert.Equal(TokenError.AlgorithmNotAllowed, result.Error);
        Assert.Equal(0, counting.Lookups);
    }

    [Fact]
    public void Validate_ReturnsAlgorithmNotAllowed_WhenHeaderAlgMatchesButKidNamesKeyOfOtherAlgorithm()
    {
        // Key confusion through the key source: the pinned name is in the header, but the kid is an ES256 key.
        var es256 = TestKeys.For(SigningAlgorithm.ES256);
        var verifier = Jwt.Verifier(SigningAlgorithm.EdDSA, new SigningKeyRing(Key, [es256]));
        string header = $$"""{"alg":"EdDSA","kid":"{{es256.KeyId}}","typ":"at+jwt"}""";
        string token = Jwt.Sign(Key, header, Jwt.Payload(Jwt.Now).ToJsonString());

        Assert.Equal(TokenError.AlgorithmNotAllowed, Jwt.ValidateNoThrow(verifier, token, Jwt.Now).Error);
    }

    [Theory]
    [InlineData("eddsa")]
    [InlineData("EDDSA")]
    [InlineData("EdDSA ")]
    [InlineData("Ed25519")]
    [InlineData("ES256")]
    [InlineData("RS256")]
    [InlineData("")]
    public void Validate_ReturnsAlgorithmNotAllowed_WhenAlgIsNotExactlyPinnedName(string alg)
    {
        string token = Jwt.Sign(Key, $$"""{"alg":"{{alg}}","kid":"{{Key.KeyId}}","typ":"at+jwt"}""", Jwt.Payload(Jwt.Now).ToJsonString());

        AssertRefused(token, TokenError.AlgorithmNotAllowed);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("")]
    [InlineData("at+jwt2")]
    [InlineData("application/jwt")]
    public void Validate_ReturnsWrongType_WhenTypIsNotAtJwt(string typ)
    {
        string token = Jwt.Sign(Key, $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"{{typ}}"}""", Jwt.Payload(Jwt.Now).ToJsonString());

        AssertRefused(token, TokenError.WrongType, "token type is not at+jwt");
    }

    public static TheoryData<string, string> BadHeaders => new()
    {
        { "crit", $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"at+jwt","crit":["exp"],"exp":1}""" },
        { "crit empty", $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","crit":[]}""" },
        { "crit first", $$"""{"crit":["b64"],"b64":false,"alg":"EdDSA","kid":"{{Key.KeyId}}"}""" },
        { "no alg", $$"""{"kid":"{{Key.KeyId}}","typ":"at+jwt"}""" },
        { "duplicate alg", $$"""{"alg":"EdDSA","alg":"none","kid":"{{Key.KeyId}}"}""" },
        { "escaped alg", $$"""{"alg":"EdDS\u0041","kid":"{{Key.KeyId}}"}""" },
        { "numeric alg", $$"""{"alg":1,"kid":"{{Key.KeyId}}"}""" },
        { "null alg", $$"""{"alg":null,"kid":"{{Key.KeyId}}"}""" },
        { "numeric kid", """{"alg":"EdDSA","kid":123}""" },
        { "array typ", $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":["at+jwt"]}""" },
        { "array", """["alg","EdDSA"]""" },
        { "string", "\"EdDSA\"" },
        { "not json", "alg=EdDSA" },
        { "truncated", """{"alg":"EdDSA","kid":""" },
        { "deeply nested", $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","x":[[[[[[1]]]]]]}""" },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Validate_ReturnsMalformed_WhenHeaderIsUnacceptable(string name, string header)
    {
        string token = header.Length == 0
            ? "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString()) + ".c2ln"
            : Jwt.Sign(Key, header, Jwt.Payload(Jwt.Now).ToJsonString());

        var result = Validate(token);

        Assert.False(result.IsValid, name);
        Assert.Equal(TokenError.Malformed, result.Error);
    }

    [Fact]
    public void Validate_ReturnsMalformed_WhenHeaderLongerThanLimit()
    {
        string header = $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","pad":"{{new string('p', 1100)}}"}""";

        AssertRefused(Jwt.Sign(Key, header, Jwt.Payload(Jwt.Now).ToJsonString()), TokenError.Malformed, "header is not base64url");
    }

    [Theory]
    [InlineData("lone low surrogate in kid", "{\"alg\":\"EdDSA\",\"kid\":\"\\udc00\"}")]
    [InlineData("lone high surrogate in typ", "{\"alg\":\"EdDSA\",\"typ\":\"\\ud800x\"}")]
    public void Validate_ReturnsMalformedWithoutThrowing_WhenHeaderStringCannotBeDecoded(string name, string header)
    {
        // The header is read before the signature is checked, so anyone can send this.
        string token = Jwt.B64(header) + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString()) + ".c2ln";

        TokenValidationResult result = default;
        var ex = Record.Exception(() => result = _verifier.Validate(token, Jwt.Now));

        Assert.Null(ex);
        Assert.Equal(TokenError.Malformed, result.Error);
        Assert.False(result.IsValid, name);
    }

    [Fact]
    public void Validate_ReturnsMalformed_WhenHeaderHasInvalidUtf8()
    {
        byte[] header = [.. Encoding.UTF8.GetBytes("{\"alg\":\"EdDSA\",\"kid\":\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")];
        string token = Jwt.B64(header) + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString()) + ".c2ln";

        AssertRefused(token, TokenError.Malformed);
    }

    [Fact]
    public void Validate_ReturnsExpired_WhenExpHasPassedOnFakeClock()
    {
        var time = new FakeTimeProvider(Jwt.Now);
        string token = ValidToken();
        time.Advance(TimeSpan.FromMinutes(5));

        var result = Jwt.ValidateNoThrow(_verifier, token, time.GetUtcNow());

        Assert.Equal(TokenError.Expired, result.Error);
        Assert.Equal("token expired", result.Reason);
    }

    [Fact]
    public void Validate_ReturnsExpired_WhenExpIsLongPast()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["exp"] = Jwt.Now.ToUnixTimeSeconds() - 1;
        payload["iat"] = Jwt.Now.ToUnixTimeSeconds() - 600;
        payload["nbf"] = Jwt.Now.ToUnixTimeSeconds() - 600;

        AssertRefused(Jwt.Sign(Key, payload), TokenError.Expired);
    }

    [Fact]
    public void Validate_ReturnsNotYetValid_WhenNbfIsInTheFuture()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["nbf"] = Jwt.Now.ToUnixTimeSeconds() + 1;

        AssertRefused(Jwt.Sign(Key, payload), TokenError.NotYetValid, "token not yet valid");
    }

    [Fact]
    public void Validate_ChecksExpiryBeforeNotBefore_WhenBothFail()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["nbf"] = Jwt.Now.ToUnixTimeSeconds() + 100;
        payload["exp"] = Jwt.Now.ToUnixTimeSeconds() - 100;

        AssertRefused(Jwt.Sign(Key, payload), TokenError.Expired);
    }

    [Theory]
    [InlineData("https://evil.test")]
    [InlineData("https://tessera.test/")]
    [InlineData("HTTPS://TESSERA.TEST")]
    [InlineData("")]
    public void Validate_ReturnsWrongIssuer_WhenIssuerIsNotAccepted(string issuer)
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["iss"] = issuer;

        AssertRefused(Jwt.Sign(Key, payload), TokenError.WrongIssuer, "issuer not accepted");
    }

    [Fact]
    public void Validate_ReturnsWrongAudience_WhenAudienceDoesNotMatch()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["aud"] = "billing-api";

        AssertRefused(Jwt.Sign(Key, payload), TokenError.WrongAudience, "audience mismatch");
    }

    [Fact]
    public void Validate_ReturnsWrongAudience_WhenAudienceArrayLacksExpected()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["aud"] = new JsonArray("billing-api", "Orders-API", "orders-api ");

        AssertRefused(Jwt.Sign(Key, payload), TokenError.WrongAudience);
    }

    [Fact]
    public void Validate_ChecksIssuerBeforeAudienceAndTime_WhenAllAreWrong()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["iss"] = "https://evil.test";
        payload["aud"] = "billing-api";
        payload["exp"] = 1;

        AssertRefused(Jwt.Sign(Key, payload), TokenError.WrongIssuer);
    }

    [Fact]
    public void Validate_ReturnsTooLarge_WhenLongerThanMaxTokenLength()
    {
        var verifier = new TokenVerifier(new SigningKeyRing(Key), new TokenVerifierOptions { ValidIssuers = [Jwt.Issuer], MaxTokenLength = 512 });
        var payload = Jwt.Payload(Jwt.Now);
        payload["pad"] = new string('p', 1000);
        string token = Jwt.Sign(Key, payload);

        var result = Jwt.ValidateNoThrow(verifier, token, Jwt.Now);

        Assert.Equal(TokenError.TooLarge, result.Error);
        Assert.Equal("token is too large", result.Reason);
    }

    [Fact]
    public void Validate_ReturnsTooLarge_WhenHugeGarbageExceedsDefaultLimit()
    {
        AssertRefused(new string('a', 8193), TokenError.TooLarge);
        AssertRefused(new string('.', 100_000), TokenError.TooLarge);
    }

    [Fact]
    public void Validate_ChecksOnlyLength_WhenExactlyAtMaxTokenLength()
    {
        string token = ValidToken();
        var verifier = new TokenVerifier(new SigningKeyRing(Key), new TokenVerifierOptions { ValidIssuers = [Jwt.Issuer], MaxTokenLength = token.Length });

        Assert.True(verifier.Validate(token, Jwt.Now).IsValid);
        Assert.Equal(TokenError.TooLarge, new TokenVerifier(new SigningKeyRing(Key), new TokenVerifierOptions { ValidIssuers = [Jwt.Issuer], MaxTokenLength = token.Length - 1 }).Validate(token, Jwt.Now).Error);
    }

    [Theory]
    [InlineData(null, "token is empty")]
    [InlineData("", "token is empty")]
    [InlineData("abc", "token is not a compact JWS")]
    [InlineData("a.b", "token is not a compact JWS")]
    [InlineData("a.b.c.d", "token is not a compact JWS")]
    [InlineData("a.b.c.", "token is not a compact JWS")]
    [InlineData(".b.c", "token is not a compact JWS")]
    [InlineData("a..c", "token is not a compact JWS")]
    [InlineData("a.b.", "token is not a compact JWS")]
    [InlineData("..", "token is not a compact JWS")]
    [InlineData("...", "token is not a compact JWS")]
    public void Validate_ReturnsMalformed_WhenNotThreeNonEmptySegments(string? token, string reason)
    {
        AssertRefused(token, TokenError.Malformed, reason);
    }

    [Fact]
    public void Validate_ReturnsMalformed_WhenFourSegmentsOfValidToken()
    {
        AssertRefused(ValidToken() + "." + Jwt.B64("extra"), TokenError.Malformed, "token is not a compact JWS");
    }

    [Fact]
    public void Validate_ReturnsMalformed_WhenJweShapedFiveSegments()
    {
        AssertRefused("eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn", TokenError.Malformed);
    }

    [Theory]
    [InlineData("header", "!!!!")]
    [InlineData("header", "eyJ+bGciOiJFZERTQSJ9")]
    [InlineData("header", "eyJ/bGciOiJFZERTQSJ9")]
    [InlineData("header", "e")]
    public void Validate_ReturnsMalformed_WhenHeaderIsNotBase64Url(string part, string header)
    {
        string token = header + "." + Jwt.B64(Jwt.Payload(Jwt.Now).ToJsonString()) + ".c2ln";

        AssertRefused(token, TokenError.Malformed, $"{part} is not base64url");
    }

    [Theory]
    [InlineData("*sig*")]
    [InlineData("a")]
    [InlineData("ab+c")]
    public void Validate_ReturnsMalformed_WhenSignatureIsNotBase64Url(string signature)
    {
        var parts = Jwt.Segments(ValidToken());

        AssertRefused(parts[0] + "." + parts[1] + "." + signature, TokenError.Malformed, "signature is not base64url");
    }

    [Theory]
    [InlineData("space", " ")]
    [InlineData("tab", "\t")]
    [InlineData("newline", "\n")]
    [InlineData("carriage return", "\r\n")]
    public void Validate_Refuses_WhenWhitespaceIsInsertedIntoSignatureSegment(string name, string whitespace)
    {
        // RFC 7515 §2: base64url here has no line breaks, whitespace or other extra characters.
        var parts = Jwt.Segments(ValidToken());
        string token = parts[0] + "." + parts[1] + "." + parts[2][..40] + whitespace + parts[2][40..];

        var result = Validate(token);

        Assert.False(result.IsValid, name);
    }

    [Theory]
    [InlineData("==")]
    [InlineData("=")]
    public void Validate_Refuses_WhenSignatureSegmentIsPadded(string padding)
    {
        var parts = Jwt.Segments(ValidToken());

        Assert.False(Validate(parts[0] + "." + parts[1] + "." + parts[2] + padding).IsValid);
    }

    [Fact]
    public void Validate_Refuses_WhenSignatureHasNonCanonicalTrailingBits()
    {
        // 64 signature bytes take 86 characters; the last carries 2 unused bits that must be zero.
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var parts = Jwt.Segments(ValidToken());
        int last = Alphabet.IndexOf(parts[2][^1], StringComparison.Ordinal);
        Assert.Equal(0, last & 0b11);
        string altered = parts[2][..^1] + Alphabet[last | 0b01];

        Assert.False(Validate(parts[0] + "." + parts[1] + "." + altered).IsValid);
    }

    [Fact]
    public void Validate_ReturnsMalformed_WhenSignedPayloadIsNotBase64Url()
    {
        // A correctly signed signing input whose payload segment is not base64url.
        string token = Jwt.SignSegments(Key, Jwt.B64(Jwt.HeaderFor(Key)), "not*base64");

        AssertRefused(token, TokenError.Malformed, "payload is not base64url");
    }

    [Theory]
    [InlineData(0, "é")]
    [InlineData(1, "ü")]
    [InlineData(2, "\u00A0")]
    [InlineData(2, "\uFF21")]
    public void Validate_ReturnsMalformed_WhenTokenHasNonAsciiCharacters(int segment, string injected)
    {
        var parts = Jwt.Segments(ValidToken());
        parts[segment] = parts[segment][..5] + injected + parts[segment][5..];

        AssertRefused(string.Join('.', parts), TokenError.Malformed, "token is not a compact JWS");
    }

    public static TheoryData<string> NonObjectPayloads => new()
    {
        "not json at all",
        "[1,2,3]",
        "\"a string\"",
        "42",
        "{\"iss\":",
        "",
    };

    [Theory]
    [MemberData(nameof(NonObjectPayloads))]
    public void Validate_RefusesWithoutThrowing_WhenSignedPayloadIsNotAJsonObject(string payload)
    {
        var result = Validate(Jwt.Sign(Key, Jwt.HeaderFor(Key), payload));

        Assert.False(result.IsValid);
        Assert.True(result.Error is TokenError.Malformed or TokenError.MissingClaim, result.Error.ToString());
    }

    [Theory]
    [InlineData("exp")]
    [InlineData("iat")]
    [InlineData("nbf")]
    [InlineData("aud")]
    [InlineData("iss")]
    [InlineData("sub")]
    [InlineData("jti")]
    public void Validate_ReturnsMissingClaim_WhenRequiredClaimAbsent(string claim)
    {
        var payload = Jwt.Payload(Jwt.Now);
        Assert.True(payload.Remove(claim));

        AssertRefused(Jwt.Sign(Key, payload), TokenError.MissingClaim, "required claim missing (iss, sub, aud, exp, nbf, iat, jti)");
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "exp as string", "exp", "\"1750000300\"" },
        { "exp null", "exp", "null" },
        { "exp huge", "exp", "1e300" },
        { "nbf as bool", "nbf", "true" },
        { "iat as object", "iat", "{}" },
        { "sub as number", "sub", "7" },
        { "sub null", "sub", "null" },
        { "iss as array", "iss", "[\"https://tessera.test\"]" },
        { "jti as number", "jti", "1" },
        { "aud as number", "aud", "1" },
        { "aud with number", "aud", "[\"orders-api\", 1]" },
        { "aud empty array", "aud", "[]" },
        { "aud object", "aud", "{\"a\":\"orders-api\"}" },
        { "scope as array", "scope", "[\"orders:read\"]" },
        { "scopes as string", "scopes", "\"orders:read\"" },
        { "scopes with number", "scopes", "[\"orders:read\", 2]" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Validate_ReturnsMissingClaim_WhenClaimHasWrongType(string name, string claim, string json)
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload[claim] = JsonNode.Parse(json);

        var result = Validate(Jwt.Sign(Key, payload));

        Assert.False(result.IsValid, name);
        Assert.Equal(TokenError.MissingClaim, result.Error);
    }

    [Fact]
    public void Validate_ReturnsMissingClaim_WhenScopeAndScopesDisagree()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["scope"] = "orders:read";
        payload["scopes"] = new JsonArray("orders:read", "admin:*:*");

        AssertRefused(Jwt.Sign(Key, payload), TokenError.MissingClaim, "scope and scopes claims disagree");
    }

    [Fact]
    public void Validate_ReturnsMissingClaim_WhenScopesIsSubsetOfScope()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["scope"] = "orders:read admin:*:*";
        payload["scopes"] = new JsonArray("orders:read");

        AssertRefused(Jwt.Sign(Key, payload), TokenError.MissingClaim, "scope and scopes claims disagree");
    }

    [Fact]
    public void Validate_ReportsReasonsWithoutTokenContent_WhenRefusing()
    {
        string token = Jwt.Sign(TestKeys.Stranger, Jwt.Payload(Jwt.Now));

        var result = Validate(token);

        Assert.NotNull(result.Reason);
        foreach (string part in Jwt.Segments(token))
        {
            Assert.DoesNotContain(part, result.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_NeverThrows_WhenPayloadOrSignatureIsRandomlyMutated()
    {
        Fuzz(firstMutable: ValidToken().IndexOf('.', StringComparison.Ordinal) + 1, seed: 20250601);
    }

    [Fact]
    public void Validate_NeverThrows_WhenAnyPartIsRandomlyMutated()
    {
        Fuzz(firstMutable: 0, seed: 20250602);
    }

    private void Fuzz(int firstMutable, int seed)
    {
        string token = ValidToken();
        var random = new Random(seed);
        const string Alphabet = "ABCxyz019-_.=+/ é\u0000{}\"";
        string signingInput = token[..token.LastIndexOf('.')];

        for (int i = 0; i < 3000; i++)
        {
            var chars = new StringBuilder(token);
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits && chars.Length > firstMutable; e++)
            {
                int at = random.Next(firstMutable, chars.Length);
                switch (random.Next(3))
                {
                    case 0:
                        chars[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                    case 1:
                        chars.Remove(at, 1);
                        break;
                    default:
                        chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                }
            }

            string mutated = chars.ToString();
            var result = Validate(mutated);
            if (result.IsValid)
            {
                // Only possible when the mutation left the signed bytes intact (see the lenient-decoding bug tests).
                Assert.StartsWith(signingInput + ".", mutated, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Validate_NeverThrows_WhenSignedPayloadIsRandomJson()
    {
        var random = new Random(7);
        string[] fragments = ["{", "}", "[", "]", ",", ":", "\"exp\"", "\"aud\"", "\"scope\"", "\"scopes\"", "1", "1.5e999", "-1", "null", "true", "\"x\"", "\"\\ud800\"", "\"\\u0000\""];

        for (int i = 0; i < 500; i++)
        {
            var payload = new StringBuilder("{");
            int count = random.Next(1, 12);
            for (int f = 0; f < count; f++)
            {
                payload.Append(fragments[random.Next(fragments.Length)]);
            }

            Validate(Jwt.Sign(Key, Jwt.HeaderFor(Key), payload.ToString()));
        }
    }

    [Fact]
    public void Validate_ReadsClaims_WhenNamesAndValuesAreEscaped()
    {
        // The fast paths (names by length, scope split from bytes, known issuer reused) must agree
        // with a full JSON reading when the signer chose escapes.
        string payload = Jwt.Payload(Jwt.Now).ToJsonString()
            .Replace("\"sub\":", "\"\\u0073ub\":", StringComparison.Ordinal)
            .Replace("\"scope\":\"read:data:customer-123 orders:read\"", "\"scop\\u0065\":\"read:data:customer-123\\u0020orders:read\"", StringComparison.Ordinal)
            .Replace("\"iss\":\"h", "\"iss\":\"\\u0068", StringComparison.Ordinal);
        Assert.Contains("\\u0073ub", payload, StringComparison.Ordinal);
        Assert.Contains("scop\\u0065", payload, StringComparison.Ordinal);
        Assert.Contains("\\u0068", payload, StringComparison.Ordinal);

        var result = _verifier.Validate(Jwt.Sign(Key, Jwt.HeaderFor(Key), payload), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(Jwt.Subject, result.Claims.Subject);
        Assert.Equal(Jwt.Issuer, result.Claims.Issuer);
        Assert.Equal(["read:data:customer-123", "orders:read"], result.Claims.Scope);
    }

    [Fact]
    public void Validate_ReturnsMissingClaim_WhenSignedScopeIsNotUtf8()
    {
        byte[] payload = Encoding.UTF8.GetBytes(Jwt.Payload(Jwt.Now).ToJsonString());
        int at = Encoding.UTF8.GetString(payload).IndexOf("orders:read", StringComparison.Ordinal);
        Assert.True(at > 0);
        payload[at] = 0xC3;
        payload[at + 1] = 0x28;
        string token = Jwt.SignSegments(Key, Jwt.B64(Jwt.HeaderFor(Key)), Jwt.B64(payload));

        var result = Jwt.ValidateNoThrow(_verifier, token, Jwt.Now);

        Assert.Equal(TokenError.MissingClaim, result.Error);
    }

    [Theory]
    [InlineData("alg")]
    [InlineData("kid")]
    [InlineData("typ")]
    public void Validate_ReturnsMalformed_WhenHeaderRepeatsAMember(string member)
    {
        string header = member switch
        {
            "alg" => $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","alg":"EdDSA"}""",
            "kid" => $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","kid":"{{Key.KeyId}}"}""",
            _ => $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"at+jwt","typ":"at+jwt"}""",
        };

        AssertRefused(Jwt.Sign(Key, header, Jwt.Payload(Jwt.Now).ToJsonString()), TokenError.Malformed);
    }

    [Fact]
    public void Validate_FindsTheKey_WhenTokensAlternateBetweenKeyIds()
    {
        // The verifier remembers the last key id it decoded; alternating must never mix keys up.
        var other = SigningKey.Generate(SigningAlgorithm.EdDSA, Jwt.Now);
        var ring = new SigningKeyRing(Key, [other]);
        var verifier = Jwt.Verifier(SigningAlgorithm.EdDSA, ring);
        string first = new TokenSigner().Sign(Jwt.Claims(Jwt.Now), Key);
        string second = new TokenSigner().Sign(Jwt.Claims(Jwt.Now), other);
        string forged = Jwt.SignSegments(other, Jwt.B64(Jwt.HeaderFor(Key)), Jwt.Segments(first)[1]);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(verifier.Validate(first, Jwt.Now).IsValid);
            Assert.True(verifier.Validate(second, Jwt.Now).IsValid);
            Assert.Equal(TokenError.BadSignature, verifier.Validate(forged, Jwt.Now).Error);
        }
    }

    [Fact]
    public void Validate_Accepts_WhenHeaderValuesAreEscapedByAnotherSigner()
    {
        // System.Text.Json (and so IdentityModel) writes "+" as \u002B.
        string header = $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"at\u002Bjwt"}""";

        var result = _verifier.Validate(Jwt.Sign(Key, header, Jwt.Payload(Jwt.Now).ToJsonString()), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.True(TokenVerifier.TryReadUnverifiedHeader(Jwt.Sign(Key, header, "{}"), 8192, out string? alg, out string? kid));
        Assert.Equal("EdDSA", alg);
        Assert.Equal(Key.KeyId, kid);
    }

    [Fact]
    public void Validate_StillChecksEveryOtherHeader_AfterRememberingAGoodOne()
    {
        // The verifier remembers the last header that passed; only those exact bytes skip the checks.
        string good = ValidToken();
        string payload = Jwt.Payload(Jwt.Now).ToJsonString();
        string wrongAlg = Jwt.Sign(Key, $$"""{"alg":"ES256","kid":"{{Key.KeyId}}","typ":"at+jwt"}""", payload);
        string wrongTyp = Jwt.Sign(Key, $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"JWT"}""", payload);
        string critical = Jwt.Sign(Key, $$"""{"alg":"EdDSA","kid":"{{Key.KeyId}}","typ":"at+jwt","crit":["x"]}""", payload);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(_verifier.Validate(good, Jwt.Now).IsValid);
            Assert.Equal(TokenError.AlgorithmNotAllowed, _verifier.Validate(wrongAlg, Jwt.Now).Error);
            Assert.True(_verifier.Validate(good, Jwt.Now).IsValid);
            Assert.Equal(TokenError.WrongType, _verifier.Validate(wrongTyp, Jwt.Now).Error);
            Assert.Equal(TokenError.Malformed, _verifier.Validate(critical, Jwt.Now).Error);
        }
    }

    [Fact]
    public void Validate_ReadsTheDelegationChain_WhenEveryCharacterOfItsNameIsEscaped()
    {
        var payload = Jwt.Payload(Jwt.Now);
        payload["delegation_chain"] = new JsonArray(new JsonObject
        {
            ["agent"] = "spiffe://tessera.local/agent/orch-1/task-0/00000000000000aa",
            ["scope"] = new JsonArray("read:data:*"),
            ["delegated_at"] = "2025-06-15T15:06:40Z",
        });
        string escapedName = string.Concat("delegation_chain".Select(c => $"\\u{(int)c:x4}"));
        string json = payload.ToJsonString().Replace("\"delegation_chain\"", "\"" + escapedName + "\"", StringComparison.Ordinal);
        Assert.Contains(escapedName, json, StringComparison.Ordinal);

        var result = _verifier.Validate(Jwt.Sign(Key, Jwt.HeaderFor(Key), json), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Single(result.Claims.DelegationChain);
    }
}
