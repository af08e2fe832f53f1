using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tessera.Core.Tests.Support;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Core.Tests;

public sealed class TokenSignerVerifierTests
{
    private readonly TokenSigner _signer = new();

    private static JsonElement PayloadOf(string token) => Jwt.ParseJson(Jwt.DecodeSegment(Jwt.Segments(token)[1]));

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA)]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void Validate_ReturnsSameClaims_WhenSignedWithPinnedAlgorithm(SigningAlgorithm algorithm)
    {
        var key = TestKeys.For(algorithm);
        var claims = Jwt.Claims(Jwt.Now) with { ClientId = "client-7", TaskId = "task-1", OrchId = "orch-1" };

        string token = _signer.Sign(claims, key);
        var result = Jwt.Verifier(algorithm).Validate(token, Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(TokenError.None, result.Error);
        Assert.Null(result.Reason);
        var got = result.Claims;
        Assert.Equal(claims.Issuer, got.Issuer);
        Assert.Equal(claims.Subject, got.Subject);
        Assert.Equal(claims.Audience, got.Audience);
        Assert.Equal(claims.ExpiresAt, got.ExpiresAt);
        Assert.Equal(claims.NotBefore, got.NotBefore);
        Assert.Equal(claims.IssuedAt, got.IssuedAt);
        Assert.Equal(claims.JwtId, got.JwtId);
        Assert.Equal(claims.Scope, got.Scope);
        Assert.Equal("client-7", got.ClientId);
        Assert.Equal("task-1", got.TaskId);
        Assert.Equal("orch-1", got.OrchId);
        Assert.Equal(300, got.Lifetime);
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA)]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void Sign_WritesHeaderWithAlgKidTypOnly_WhenSigning(SigningAlgorithm algorithm)
    {
        var key = TestKeys.For(algorithm);

        string token = _signer.Sign(Jwt.Claims(Jwt.Now), key);

        string header = Jwt.DecodeSegment(Jwt.Segments(token)[0]);
        Assert.Equal($$"""{"alg":"{{algorithm.Name()}}","kid":"{{key.KeyId}}","typ":"at+jwt"}""", header);
    }

    [Theory]
    [InlineData(SigningAlgorithm.EdDSA, 86)]
    [InlineData(SigningAlgorithm.ES256, 86)]
    [InlineData(SigningAlgorithm.RS256, 342)]
    public void Sign_ProducesThreeUnpaddedBase64UrlSegments_WhenSigning(SigningAlgorithm algorithm, int signatureChars)
    {
        string token = _signer.Sign(Jwt.Claims(Jwt.Now), TestKeys.For(algorithm));

        var segments = Jwt.Segments(token);
        Assert.Equal(3, segments.Length);
        Assert.All(segments, s => Assert.Matches("^[A-Za-z0-9_-]+$", s));
        Assert.Equal(signatureChars, segments[2].Length);
    }

    [Fact]
    public void Sign_WritesScopeSpaceDelimitedAndSingleAudienceAsString_WhenOneAudience()
    {
        string token = _signer.Sign(Jwt.Claims(Jwt.Now, "read:data:*", "orders:read"), TestKeys.For(SigningAlgorithm.EdDSA));

        var payload = PayloadOf(token);
        Assert.Equal(JsonValueKind.String, payload.GetProperty("scope").ValueKind);
        Assert.Equal("read:data:* orders:read", payload.GetProperty("scope").GetString());
        Assert.Equal(JsonValueKind.String, payload.GetProperty("aud").ValueKind);
        Assert.Equal(Jwt.Audience, payload.GetProperty("aud").GetString());
        Assert.False(payload.TryGetProperty("scopes", out _));
        Assert.False(payload.TryGetProperty("client_id", out _));
        Assert.False(payload.TryGetProperty("task_id", out _));
        Assert.False(payload.TryGetProperty("orch_id", out _));
        Assert.Equal(
            ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"],
            payload.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Sign_WritesAudienceArray_WhenSeveralAudiences()
    {
        var claims = Jwt.Claims(Jwt.Now) with { Audience = ["orders-api", "billing-api"] };

        string token = _signer.Sign(claims, TestKeys.For(SigningAlgorithm.EdDSA));

        var aud = PayloadOf(token).GetProperty("aud");
        Assert.Equal(JsonValueKind.Array, aud.ValueKind);
        Assert.Equal(["orders-api", "billing-api"], aud.EnumerateArray().Select(a => a.GetString()));

        var verifier = Jwt.Verifier(SigningAlgorithm.EdDSA, audience: "billing-api");
        var result = verifier.Validate(token, Jwt.Now);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(["orders-api", "billing-api"], result.Claims.Audience);
    }

    [Fact]
    public void Sign_WritesNonAsciiClaimsAsUtf8_WhenSubjectHasUnicode()
    {
        var claims = Jwt.Claims(Jwt.Now) with { Subject = "agent-ü-\"quoted\"", TaskId = "タスク" };

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(_signer.Sign(claims, TestKeys.For(SigningAlgorithm.EdDSA)), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal("agent-ü-\"quoted\"", result.Claims.Subject);
        Assert.Equal("タスク", result.Claims.TaskId);
    }

    [Fact]
    public void Sign_IsDeterministic_WhenEdDsa()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var claims = Jwt.Claims(Jwt.Now);

        Assert.Equal(_signer.Sign(claims, key), _signer.Sign(claims, key));
        Assert.Equal(_signer.Sign(claims, key), new TokenSigner().Sign(claims, key));
    }

    [Fact]
    public void Sign_ProducesDifferentButValidSignatures_WhenEs256()
    {
        var key = TestKeys.For(SigningAlgorithm.ES256);
        var claims = Jwt.Claims(Jwt.Now);

        string a = _signer.Sign(claims, key);
        string b = _signer.Sign(claims, key);

        Assert.NotEqual(a, b);
        Assert.True(Jwt.Verifier(SigningAlgorithm.ES256).Validate(a, Jwt.Now).IsValid);
        Assert.True(Jwt.Verifier(SigningAlgorithm.ES256).Validate(b, Jwt.Now).IsValid);
    }

    [Fact]
    public void Sign_Throws_WhenArgumentsAreNull()
    {
        Assert.Throws<ArgumentNullException>(() => _signer.Sign(null!, TestKeys.For(SigningAlgorithm.EdDSA)));
        Assert.Throws<ArgumentNullException>(() => _signer.Sign(Jwt.Claims(Jwt.Now), null!));
    }

    [Fact]
    public void Validate_ReturnsEmptyScope_WhenScopeListIsEmpty()
    {
        var claims = Jwt.Claims(Jwt.Now) with { Scope = [] };

        string token = _signer.Sign(claims, TestKeys.For(SigningAlgorithm.EdDSA));
        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(token, Jwt.Now);

        Assert.Equal(string.Empty, PayloadOf(token).GetProperty("scope").GetString());
        Assert.True(result.IsValid, result.Reason);
        Assert.Empty(result.Claims.Scope);
    }

    [Fact]
    public void Validate_AcceptsAnyAudience_WhenVerifierHasNoAudience()
    {
        var claims = Jwt.Claims(Jwt.Now) with { Audience = ["something-else"] };

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA, audience: null).Validate(_signer.Sign(claims, TestKeys.For(SigningAlgorithm.EdDSA)), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Validate_AcceptsEitherIssuer_WhenVerifierHasTransitionSet()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var verifier = new TokenVerifier(new SigningKeyRing(key), new TokenVerifierOptions
        {
            ValidIssuers = ["https://old.test", "https://new.test"],
        });

        foreach (string issuer in new[] { "https://old.test", "https://new.test" })
        {
            var result = verifier.Validate(_signer.Sign(Jwt.Claims(Jwt.Now) with { Issuer = issuer }, key), Jwt.Now);
            Assert.True(result.IsValid, result.Reason);
        }

        Assert.Equal(TokenError.WrongIssuer, verifier.Validate(_signer.Sign(Jwt.Claims(Jwt.Now), key), Jwt.Now).Error);
    }

    [Fact]
    public void Validate_RejectsAllIssuers_WhenValidIssuersIsEmpty()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var verifier = new TokenVerifier(new SigningKeyRing(key), new TokenVerifierOptions());

        var result = verifier.Validate(_signer.Sign(Jwt.Claims(Jwt.Now), key), Jwt.Now);

        Assert.Equal(TokenError.WrongIssuer, result.Error);
        Assert.Equal("issuer not accepted", result.Reason);
    }

    [Fact]
    public void Validate_JudgesByTheNewSet_AfterSetValidIssuers()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var verifier = new TokenVerifier(new SigningKeyRing(key), new TokenVerifierOptions { ValidIssuers = ["https://other.test"] });
        string token = _signer.Sign(Jwt.Claims(Jwt.Now), key);
        Assert.Equal(TokenError.WrongIssuer, verifier.Validate(token, Jwt.Now).Error);

        verifier.SetValidIssuers([Jwt.Issuer]);

        var result = verifier.Validate(token, Jwt.Now);
        Assert.True(result.IsValid, result.Reason);
        Assert.Same(verifier.ValidIssuers[0], result.Claims.Issuer);
        Assert.Equal([Jwt.Issuer], verifier.ValidIssuers);
        verifier.SetValidIssuers([]);
        Assert.Equal(TokenError.WrongIssuer, verifier.Validate(token, Jwt.Now).Error);
    }

    [Fact]
    public void Validate_AcceptsTokenOfPreviousKey_AfterRotation()
    {
        var old = TestKeys.For(SigningAlgorithm.EdDSA);
        var ring = new SigningKeyRing(old);
        string token = _signer.Sign(Jwt.Claims(Jwt.Now), old);

        ring.Rotate(TestKeys.Stranger);

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA, ring).Validate(token, Jwt.Now);
        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Validate_TracksExpiry_WhenTimeAdvancesOnFakeClock()
    {
        var time = new FakeTimeProvider(Jwt.Now);
        var verifier = Jwt.Verifier(SigningAlgorithm.EdDSA);
        string token = _signer.Sign(Jwt.Claims(time.GetUtcNow()), TestKeys.For(SigningAlgorithm.EdDSA));

        Assert.True(verifier.Validate(token, time.GetUtcNow()).IsValid);

        time.Advance(TimeSpan.FromSeconds(299));
        Assert.True(verifier.Validate(token, time.GetUtcNow()).IsValid);

        time.Advance(TimeSpan.FromSeconds(1));
        var result = verifier.Validate(token, time.GetUtcNow());
        Assert.Equal(TokenError.Expired, result.Error);
        Assert.Equal("token expired", result.Reason);
        Assert.Null(result.Claims);
    }

    [Fact]
    public void Validate_AllowsConfiguredSkew_WhenExpiredOrEarlyWithinSkew()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var verifier = new TokenVerifier(new SigningKeyRing(key), new TokenVerifierOptions
        {
            ValidIssuers = [Jwt.Issuer],
            ClockSkew = TimeSpan.FromSeconds(60),
        });
        string token = _signer.Sign(Jwt.Claims(Jwt.Now), key);

        Assert.True(verifier.Validate(token, Jwt.Now.AddSeconds(300 + 59)).IsValid);
        Assert.Equal(TokenError.Expired, verifier.Validate(token, Jwt.Now.AddSeconds(300 + 60)).Error);
        Assert.True(verifier.Validate(token, Jwt.Now.AddSeconds(-60)).IsValid);
        Assert.Equal(TokenError.NotYetValid, verifier.Validate(token, Jwt.Now.AddSeconds(-61)).Error);
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("AT+JWT")]
    [InlineData("application/at+jwt")]
    public void Validate_AcceptsTyp_WhenAtJwtInAnyCase(string typ)
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        string header = $$"""{"alg":"EdDSA","kid":"{{key.KeyId}}","typ":"{{typ}}"}""";

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, header, Jwt.Payload(Jwt.Now).ToJsonString()), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Validate_Accepts_WhenTypIsAbsentAndHeaderHasExtraMembers()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        string header = $$"""{"x5t":{"nested":[1,2,{"a":null}]},"kid":"{{key.KeyId}}","alg":"EdDSA","cty":"json"}""";

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, header, Jwt.Payload(Jwt.Now).ToJsonString()), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Validate_FloorsFractionalTimes_WhenNumericDateHasFraction()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var payload = Jwt.Payload(Jwt.Now);
        payload["exp"] = Jwt.Now.ToUnixTimeSeconds() + 10.75;
        payload["nbf"] = Jwt.Now.ToUnixTimeSeconds() - 0.5;

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, payload), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(Jwt.Now.ToUnixTimeSeconds() + 10, result.Claims.ExpiresAt);
        Assert.Equal(Jwt.Now.ToUnixTimeSeconds() - 1, result.Claims.NotBefore);
    }

    [Fact]
    public void Validate_ReadsScopesArray_WhenScopeClaimAbsent()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var payload = Jwt.Payload(Jwt.Now);
        payload.Remove("scope");
        payload["scopes"] = new JsonArray("orders:read", "read:data:*");

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, payload), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(["orders:read", "read:data:*"], result.Claims.Scope);
    }

    [Fact]
    public void Validate_Accepts_WhenScopeAndScopesAgreeInAnotherOrder()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var payload = Jwt.Payload(Jwt.Now);
        payload["scopes"] = new JsonArray("orders:read", "read:data:customer-123");

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, payload), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(["read:data:customer-123", "orders:read"], result.Claims.Scope);
    }

    [Fact]
    public void Validate_IgnoresUnknownClaims_WhenPresent()
    {
        var key = TestKeys.For(SigningAlgorithm.EdDSA);
        var payload = Jwt.Payload(Jwt.Now);
        payload["cnf"] = new JsonObject { ["jkt"] = "abc", ["nested"] = new JsonArray(1, 2, 3) };
        payload["extra"] = null;

        var result = Jwt.Verifier(SigningAlgorithm.EdDSA).Validate(Jwt.Sign(key, payload), Jwt.Now);

        Assert.True(result.IsValid, result.Reason);
    }

    [Fact]
    public void Constructor_Throws_WhenArgumentsAreNull()
    {
        var ring = new SigningKeyRing(TestKeys.For(SigningAlgorithm.EdDSA));
        Assert.Throws<ArgumentNullException>(() => new TokenVerifier(null!, new TokenVerifierOptions()));
        Assert.Throws<ArgumentNullException>(() => new TokenVerifier(ring, null!));
    }

    [Fact]
    public void Options_HaveSafeDefaults_WhenNotSet()
    {
        var options = new TokenVerifierOptions();

        Assert.Equal(SigningAlgorithm.EdDSA, options.Algorithm);
        Assert.Empty(options.ValidIssuers);
        Assert.Null(options.Audience);
        Assert.Equal(TimeSpan.Zero, options.ClockSkew);
        Assert.Equal(8192, options.MaxTokenLength);
    }
}
