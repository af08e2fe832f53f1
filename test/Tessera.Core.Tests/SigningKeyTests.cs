using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tessera.Core.Tests.Support;
using Tessera.Keys;

namespace Tessera.Core.Tests;

public sealed class SigningKeyTests
{
    // RFC 8037 Appendix A: an Ed25519 key and (A.3) its RFC 7638 thumbprint.
    private const string Rfc8037D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    private const string Rfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    private const string Rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    // RFC 7638 §3.1: an RSA public key and its thumbprint.
    private const string Rfc7638N =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    private const string Rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    private static readonly byte[] Message = "header.payload"u8.ToArray();

    private static JsonElement Jwk(SigningKey key) => Jwt.ParseJson(Jwt.JwkJson(key.PublicKey));

    private static string Thumbprint(string canonicalJson) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));

    private static byte[] SignMessage(SigningKey key)
    {
        var signature = new byte[key.SignatureSize];
        int written = key.Sign(Message, signature);
        Assert.Equal(key.SignatureSize, written);
        return signature;
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA, 64)]
    [InlineData(SigningAlgorithm.ES256, 64)]
    [InlineData(SigningAlgorithm.RS256, 256)]
    public void Generate_ReturnsKeyOfAlgorithm_WhenAsked(SigningAlgorithm algorithm, int signatureSize)
    {
        using var key = SigningKey.Generate(algorithm, TestKeys.CreatedAt);

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(algorithm, key.PublicKey.Algorithm);
        Assert.Equal(TestKeys.CreatedAt, key.CreatedAt);
        Assert.Equal(signatureSize, key.SignatureSize);
        Assert.Equal(key.PublicKey.ComputeThumbprint(), key.KeyId);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", key.KeyId);
    }

    [Fact]
    public void Generate_ProducesDistinctKeyIds_WhenCalledTwice()
    {
        using var a = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);
        using var b = SigningKey.Generate(SigningAlgorithm.EdDSA, TestKeys.CreatedAt);

        Assert.NotEqual(a.KeyId, b.KeyId);
    }

    [Fact]
    public void Generate_Throws_WhenAlgorithmIsUnknown()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SigningKey.Generate((SigningAlgorithm)42, TestKeys.CreatedAt));
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA)]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void ExportImport_KeepsKeyIdAndSigns_WhenRoundTripped(SigningAlgorithm algorithm)
    {
        var original = TestKeys.For(algorithm);
        var later = TestKeys.CreatedAt.AddDays(1);

        using var imported = SigningKey.Import(algorithm, original.ExportPrivateKey(), later);

        Assert.Equal(original.KeyId, imported.KeyId);
        Assert.Equal(algorithm, imported.Algorithm);
        Assert.Equal(later, imported.CreatedAt);
        Assert.True(original.PublicKey.Verify(Message, SignMessage(imported)));
        Assert.True(imported.PublicKey.Verify(Message, SignMessage(original)));
    }

    [Fact]
    public void ExportPrivateKey_IsRaw32ByteSeed_WhenEdDsa()
    {
        Assert.Equal(32, TestKeys.For(SigningAlgorithm.EdDSA).ExportPrivateKey().Length);
    }

    [Fact]
    public void KeyId_IsRfc8037Thumbprint_WhenImportingRfc8037Key()
    {
        using var key = SigningKey.Import(SigningAlgorithm.EdDSA, Base64Url.DecodeFromChars(Rfc8037D), TestKeys.CreatedAt);

        Assert.Equal(Rfc8037Thumbprint, key.KeyId);
        Assert.Equal(Rfc8037X, Jwk(key).GetProperty("x").GetString());
    }

    [Fact]
    public void ComputeThumbprint_MatchesRfc7638Example_WhenRsaKeyFromJwk()
    {
        var jwk = Jwt.ParseJson($$"""{"kty":"RSA","n":"{{Rfc7638N}}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}""");

        Assert.True(VerificationKey.TryFromJwk(jwk, out var key, out string? error), error);
        using (key)
        {
            Assert.Equal("2011-04-29", key!.KeyId);
            Assert.Equal(Rfc7638Thumbprint, key.ComputeThumbprint());
        }
    }

    [Fact]
    public void KeyId_IsSha256OfCanonicalJwk_WhenEd25519()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        string x = Jwk(key).GetProperty("x").GetString()!;

        Assert.Equal(32, Base64Url.DecodeFromChars(x).Length);
        Assert.Equal(Thumbprint($$"""{"crv":"Ed25519","kty":"OKP","x":"{{x}}"}"""), key.KeyId);
    }

    [Fact]
    public void KeyId_IsSha256OfCanonicalJwk_WhenEs256()
    {
        var key = TestKeys.For(SigningAlgorithm.ES256);
        var jwk = Jwk(key);
        string x = jwk.GetProperty("x").GetString()!;
        string y = jwk.GetProperty("y").GetString()!;

        Assert.Equal(32, Base64Url.DecodeFromChars(x).Length);
        Assert.Equal(32, Base64Url.DecodeFromChars(y).Length);
        Assert.Equal(Thumbprint($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}"""), key.KeyId);
    }

    [Fact]
    public void KeyId_IsSha256OfCanonicalJwk_WhenRs256()
    {
        var key = TestKeys.For(SigningAlgorithm.RS256);
        var jwk = Jwk(key);
        string e = jwk.GetProperty("e").GetString()!;
        string n = jwk.GetProperty("n").GetString()!;

        Assert.Equal("AQAB", e);
        Assert.Equal(256, Base64Url.DecodeFromChars(n).Length);
        Assert.Equal(Thumbprint($$"""{"e":"{{e}}","kty":"RSA","n":"{{n}}"}"""), key.KeyId);
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA, "OKP", "crv,kty,x,kid,use,alg")]
    [InlineData(SigningAlgorithm.ES256, "EC", "crv,kty,x,y,kid,use,alg")]
    [InlineData(SigningAlgorithm.RS256, "RSA", "e,kty,n,kid,use,alg")]
    public void WriteJwk_WritesPublicMembersWithKidUseAlg_WhenCalled(SigningAlgorithm algorithm, string kty, string members)
    {
        var key = TestKeys.For(algorithm);
        var jwk = Jwk(key);

        Assert.Equal(members.Split(','), jwk.EnumerateObject().Select(p => p.Name));
        Assert.Equal(kty, jwk.GetProperty("kty").GetString());
        Assert.Equal(key.KeyId, jwk.GetProperty("kid").GetString());
        Assert.Equal("sig", jwk.GetProperty("use").GetString());
        Assert.Equal(algorithm.Name(), jwk.GetProperty("alg").GetString());
        foreach (var secret in new[] { "d", "p", "q", "dp", "dq", "qi" })
        {
            Assert.False(jwk.TryGetProperty(secret, out _), $"private member {secret} leaked");
        }
    }

    [Fact]
    public void WriteJwk_Throws_WhenWriterIsNull()
    {
        Assert.Throws<ArgumentNullException>(() => TestKeys.For(SigningAlgorithm.EdDSA).PublicKey.WriteJwk(null!));
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA)]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void TryFromJwk_RoundTripsKeyThatVerifies_WhenJwkWasWrittenByUs(SigningAlgorithm algorithm)
    {
        var signing = TestKeys.For(algorithm);

        Assert.True(VerificationKey.TryFromJwk(Jwk(signing), out var key, out string? error), error);
        using (key)
        {
            Assert.Null(error);
            Assert.Equal(signing.KeyId, key!.KeyId);
            Assert.Equal(algorithm, key.Algorithm);
            Assert.Equal(signing.KeyId, key.ComputeThumbprint());
            Assert.Equal(Jwt.JwkJson(signing.PublicKey), Jwt.JwkJson(key));
            Assert.True(key.Verify(Message, SignMessage(signing)));
        }
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA)]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void Verify_ReturnsFalse_WhenDataSignatureOrLengthIsWrong(SigningAlgorithm algorithm)
    {
        var key = TestKeys.For(algorithm);
        byte[] signature = SignMessage(key);

        Assert.True(key.PublicKey.Verify(Message, signature));
        Assert.False(key.PublicKey.Verify("header.payloaD"u8, signature));

        byte[] flipped = (byte[])signature.Clone();
        flipped[^1] ^= 1;
        Assert.False(key.PublicKey.Verify(Message, flipped));
        Assert.False(key.PublicKey.Verify(Message, signature.AsSpan(0, signature.Length - 1)));
        Assert.False(key.PublicKey.Verify(Message, [.. signature, 0]));
        Assert.False(key.PublicKey.Verify(Message, []));
    }

    [Fact]
    public void Verify_ReturnsFalse_WhenSignedByAnotherKey()
    {
        Assert.False(TestKeys.For(SigningAlgorithm.EdDSA).PublicKey.Verify(Message, SignMessage(TestKeys.Stranger)));
    }

    public static TheoryData<string, string, string> BadJwks => new()
    {
        { "array", "[]", "JWK is not an object" },
        { "string", "\"key\"", "JWK is not an object" },
        { "no kid", $$"""{"kty":"OKP","crv":"Ed25519","x":"{{Rfc8037X}}"}""", "JWK has no kid" },
        { "empty kid", $$"""{"kty":"OKP","crv":"Ed25519","x":"{{Rfc8037X}}","kid":""}""", "JWK has no kid" },
        { "use enc", $$"""{"kty":"OKP","crv":"Ed25519","x":"{{Rfc8037X}}","kid":"k","use":"enc"}""", "JWK use is not sig" },
        { "kty oct", """{"kty":"oct","k":"c2VjcmV0","kid":"k"}""", "unsupported key type or algorithm" },
        { "no kty", $$"""{"crv":"Ed25519","x":"{{Rfc8037X}}","kid":"k"}""", "unsupported key type or algorithm" },
        { "kty case", $$"""{"kty":"okp","crv":"Ed25519","x":"{{Rfc8037X}}","kid":"k"}""", "unsupported key type or algorithm" },
        { "OKP with ES256", $$"""{"kty":"OKP","crv":"Ed25519","x":"{{Rfc8037X}}","kid":"k","alg":"ES256"}""", "unsupported key type or algorithm" },
        { "OKP X25519", $$"""{"kty":"OKP","crv":"X25519","x":"{{Rfc8037X}}","kid":"k"}""", "unsupported key type or algorithm" },
        { "EC with RS256", """{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k","alg":"RS256"}""", "unsupported key type or algorithm" },
        { "EC P-384", """{"kty":"EC","crv":"P-384","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k"}""", "unsupported key type or algorithm" },
        { "RSA with PS256", $$"""{"kty":"RSA","n":"{{Rfc7638N}}","e":"AQAB","kid":"k","alg":"PS256"}""", "unsupported key type or algorithm" },
        { "RSA with HS256", $$"""{"kty":"RSA","n":"{{Rfc7638N}}","e":"AQAB","kid":"k","alg":"HS256"}""", "unsupported key type or algorithm" },
        { "Ed25519 short x", """{"kty":"OKP","crv":"Ed25519","x":"AAEC","kid":"k"}""", "invalid Ed25519 key" },
        { "Ed25519 garbage x", """{"kty":"OKP","crv":"Ed25519","x":"!!!not base64!!!","kid":"k"}""", "malformed key material" },
        { "Ed25519 missing x", """{"kty":"OKP","crv":"Ed25519","kid":"k"}""", "malformed key material" },
        { "Ed25519 numeric x", """{"kty":"OKP","crv":"Ed25519","x":12,"kid":"k"}""", "malformed key material" },
        { "EC point off curve", """{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"k"}""", "malformed key material" },
        { "EC missing y", """{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","kid":"k"}""", "malformed key material" },
        { "EC short coordinates", """{"kty":"EC","crv":"P-256","x":"AAEC","y":"AAEC","kid":"k"}""", "malformed key material" },
        { "RSA missing e", $$"""{"kty":"RSA","n":"{{Rfc7638N}}","kid":"k"}""", "malformed key material" },
        { "RSA garbage n", """{"kty":"RSA","n":"*** not base64 ***","e":"AQAB","kid":"k"}""", "malformed key material" },
    };

    [Theory]
    [MemberData(nameof(BadJwks))]
    public void TryFromJwk_FailsWithReason_WhenJwkIsUnacceptable(string name, string json, string expectedError)
    {
        bool ok = VerificationKey.TryFromJwk(Jwt.ParseJson(json), out var key, out string? error);

        Assert.False(ok, name);
        Assert.Null(key);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void TryFromJwk_Rejects_WhenRsaKeyIsShorterThan2048Bits()
    {
        using var rsa = RSA.Create(1024);
        var p = rsa.ExportParameters(false);
        var jwk = Jwt.ParseJson($$"""{"kty":"RSA","n":"{{Jwt.B64(p.Modulus!)}}","e":"{{Jwt.B64(p.Exponent!)}}","kid":"k"}""");

        Assert.False(VerificationKey.TryFromJwk(jwk, out var key, out string? error));
        Assert.Null(key);
        Assert.Equal("RSA key shorter than 2048 bits", error);
    }

    [Fact]
    public void TryFromJwk_Accepts_WhenAlgAndUseAreAbsent()
    {
        var jwk = Jwt.ParseJson($$"""{"kty":"OKP","crv":"Ed25519","x":"{{Rfc8037X}}","kid":"k"}""");

        Assert.True(VerificationKey.TryFromJwk(jwk, out var key, out _));
        using (key)
        {
            Assert.Equal(SigningAlgorithm.EdDSA, key!.Algorithm);
            Assert.Equal(Rfc8037Thumbprint, key.ComputeThumbprint());
        }
    }

    [Fact]
    public void TryFromJwk_ReturnsFalseWithoutThrowing_WhenStringMemberHoldsLoneSurrogate()
    {
        // JSON that parses, but whose string cannot be decoded: a hostile JWKS document can carry it.
        string[] documents =
        [
            """{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"\udc00"}""",
            """{"kty":"OKP","crv":"Ed25519","x":"\udc00","kid":"k"}""",
        ];

        foreach (string json in documents)
        {
            bool ok = true;
            var ex = Record.Exception(() => ok = VerificationKey.TryFromJwk(Jwt.ParseJson(json), out _, out _));

            Assert.Null(ex);
            Assert.False(ok);
        }
    }

    [Fact]
    public void Import_Throws_WhenEd25519SeedHasWrongLength()
    {
        Assert.Throws<CryptographicException>(() => SigningKey.Import(SigningAlgorithm.EdDSA, new byte[31], TestKeys.CreatedAt));
        Assert.Throws<CryptographicException>(() => SigningKey.Import(SigningAlgorithm.EdDSA, new byte[64], TestKeys.CreatedAt));
    }

    [Fact]
    public void Import_Throws_WhenEs256GivenP384Key()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var ex = Assert.Throws<CryptographicException>(() => SigningKey.Import(SigningAlgorithm.ES256, p384.ExportPkcs8PrivateKey(), TestKeys.CreatedAt));
        Assert.Equal("not a P-256 key", ex.Message);
    }

    [Fact]
    public void Import_Throws_WhenRs256GivenShortKey()
    {
        using var rsa = RSA.Create(1024);

        var ex = Assert.Throws<CryptographicException>(() => SigningKey.Import(SigningAlgorithm.RS256, rsa.ExportPkcs8PrivateKey(), TestKeys.CreatedAt));
        Assert.Equal("RSA key shorter than 2048 bits", ex.Message);
    }

    [Theory]
    [InlineData(SigningAlgorithm.ES256, SigningAlgorithm.RS256)]
    [InlineData(SigningAlgorithm.RS256, SigningAlgorithm.ES256)]
    public void Import_Throws_WhenKeyIsOfAnotherAlgorithm(SigningAlgorithm importAs, SigningAlgorithm actual)
    {
        byte[] pkcs8 = TestKeys.For(actual).ExportPrivateKey();

        Assert.ThrowsAny<CryptographicException>(() => SigningKey.Import(importAs, pkcs8, TestKeys.CreatedAt));
    }

    [Theory]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void Import_Throws_WhenBytesAreGarbage(SigningAlgorithm algorithm)
    {
        Assert.ThrowsAny<CryptographicException>(() => SigningKey.Import(algorithm, "not a key"u8, TestKeys.CreatedAt));
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA, "EdDSA")]
    [InlineData(SigningAlgorithm.ES256, "ES256")]
    [InlineData(SigningAlgorithm.RS256, "RS256")]
    public void SigningAlgorithmName_RoundTripsThroughTryParse_WhenKnown(SigningAlgorithm algorithm, string name)
    {
        Assert.Equal(name, algorithm.Name());
        Assert.True(SigningAlgorithms.TryParse(name, out var parsed));
        Assert.Equal(algorithm, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("none")]
    [InlineData("HS256")]
    [InlineData("eddsa")]
    [InlineData("es256")]
    [InlineData("Ed25519")]
    [InlineData("PS256")]
    public void SigningAlgorithmTryParse_ReturnsFalse_WhenNotExactlyAPinnedName(string? name)
    {
        Assert.False(SigningAlgorithms.TryParse(name, out _));
    }

    [Fact]
    public void SigningAlgorithmName_Throws_WhenUnknown()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((SigningAlgorithm)42).Name());
    }
}

public sealed class SigningKeyRingTests
{
    [Fact]
    public void TryGetKey_FindsActiveAndPreviousKeys_WhenPublished()
    {
        var active = TestKeys.For(SigningAlgorithm.EdDSA);
        var previous = TestKeys.Stranger;
        var ring = new SigningKeyRing(active, [previous]);

        Assert.Same(active, ring.Active);
        Assert.Equal([active, previous], ring.All);
        Assert.True(ring.TryGetKey(active.KeyId, out var a));
        Assert.Same(active.PublicKey, a);
        Assert.True(ring.TryGetKey(previous.KeyId, out var p));
        Assert.Same(previous.PublicKey, p);
    }

    [Fact]
    public void TryGetKey_ReturnsFalse_WhenKidUnknownOrDiffersInCase()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var ring = new SigningKeyRing(key);

        Assert.False(ring.TryGetKey("nope", out var missing));
        Assert.Null(missing);
        string otherCase = string.Equals(key.KeyId.ToUpperInvariant(), key.KeyId, StringComparison.Ordinal) ? key.KeyId.ToLowerInvariant() : key.KeyId.ToUpperInvariant();
        Assert.False(ring.TryGetKey(otherCase, out _));
    }

    [Fact]
    public void Rotate_KeepsPreviousKeyPublished_WhenNewKeyBecomesActive()
    {
        var first = TestKeys.For(SigningAlgorithm.EdDSA);
        var second = TestKeys.Stranger;
        var ring = new SigningKeyRing(first);

        ring.Rotate(second);

        Assert.Same(second, ring.Active);
        Assert.Equal([second, first], ring.All);
        Assert.True(ring.TryGetKey(first.KeyId, out _));
    }

    [Fact]
    public void Rotate_DoesNotDuplicate_WhenRotatingBackToAPublishedKey()
    {
        var first = TestKeys.For(SigningAlgorithm.EdDSA);
        var second = TestKeys.Stranger;
        var ring = new SigningKeyRing(first);

        ring.Rotate(second);
        ring.Rotate(first);

        Assert.Same(first, ring.Active);
        Assert.Equal([first, second], ring.All);
    }

    [Fact]
    public void Constructor_Throws_WhenActiveIsNull()
    {
        Assert.Throws<ArgumentNullException>(() => new SigningKeyRing(null!));
        Assert.Throws<ArgumentNullException>(() => new SigningKeyRing(TestKeys.Stranger).Rotate(null!));
    }
}
