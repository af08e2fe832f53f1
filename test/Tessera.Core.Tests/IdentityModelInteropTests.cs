using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.Core.Tests.Support;
using Tessera.Keys;
using Tessera.Tokens;
using MsValidationResult = Microsoft.IdentityModel.Tokens.TokenValidationResult;

namespace Tessera.Core.Tests;

/// <summary>Tokens Tessera signs verify with Microsoft.IdentityModel, and the other way round.</summary>
public sealed class IdentityModelInteropTests
{
    private static AccessTokenClaims FreshClaims()
    {
        // IdentityModel validates lifetime against the real clock.
        var now = DateTimeOffset.UtcNow;
        return Jwt.Claims(now, "read:data:customer-123", "orders:read") with { JwtId = "fedcba9876543210fedcba9876543210" };
    }

    private static TokenValidationParameters Parameters(SigningKey key, string algorithm) => new()
    {
        ValidIssuer = Jwt.Issuer,
        ValidAudience = Jwt.Audience,
        IssuerSigningKey = new JsonWebKey(Jwt.JwkJson(key.PublicKey)),
        ValidAlgorithms = [algorithm],
        ValidTypes = ["at+jwt"],
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
    };

    private static async Task<MsValidationResult> ValidateAsync(string token, TokenValidationParameters parameters) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);

    [Theory]
    [InlineData(SigningAlgorithm.ES256, SecurityAlgorithms.EcdsaSha256)]
    [InlineData(SigningAlgorithm.RS256, SecurityAlgorithms.RsaSha256)]
    public async Task ValidateTokenAsync_AcceptsTesseraToken_WhenKeyIsOurJwk(SigningAlgorithm algorithm, string msAlgorithm)
    {
        var key = TestKeys.For(algorithm);
        var claims = FreshClaims();
        string token = new TokenSigner().Sign(claims, key);

        var result = await ValidateAsync(token, Parameters(key, msAlgorithm));

        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal(claims.Subject, result.Claims["sub"]);
        Assert.Equal("read:data:customer-123 orders:read", result.Claims["scope"]);
        Assert.Equal(claims.JwtId, result.Claims["jti"]);
        var jwt = Assert.IsType<JsonWebToken>(result.SecurityToken);
        Assert.Equal(key.KeyId, jwt.Kid);
        Assert.Equal(msAlgorithm, jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
    }

    [Theory]
    [InlineData(SigningAlgorithm.ES256, SecurityAlgorithms.EcdsaSha256)]
    [InlineData(SigningAlgorithm.RS256, SecurityAlgorithms.RsaSha256)]
    public async Task ValidateTokenAsync_Rejects_WhenTesseraTokenIsTampered(SigningAlgorithm algorithm, string msAlgorithm)
    {
        var key = TestKeys.For(algorithm);
        var parts = Jwt.Segments(new TokenSigner().Sign(FreshClaims(), key));
        var payload = Jwt.Payload(DateTimeOffset.UtcNow);
        payload["scope"] = "admin:*:*";
        string tampered = parts[0] + "." + Jwt.B64(payload.ToJsonString()) + "." + parts[2];

        var result = await ValidateAsync(tampered, Parameters(key, msAlgorithm));

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    [Fact]
    public async Task ValidateTokenAsync_Rejects_WhenAlgorithmIsNotPinned()
    {
        var key = TestKeys.For(SigningAlgorithm.ES256);
        string token = new TokenSigner().Sign(FreshClaims(), key);

        var result = await ValidateAsync(token, Parameters(key, SecurityAlgorithms.RsaSha256));

        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task ValidateTokenAsync_Rejects_WhenAudienceDiffers()
    {
        var key = TestKeys.For(SigningAlgorithm.ES256);
        string token = new TokenSigner().Sign(FreshClaims() with { Audience = ["billing-api"] }, key);

        var result = await ValidateAsync(token, Parameters(key, SecurityAlgorithms.EcdsaSha256));

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidAudienceException>(result.Exception);
    }

    [Fact]
    public void JsonWebKey_ComputesSameThumbprintAsKid_WhenBuiltFromOurJwk()
    {
        foreach (var algorithm in new[] { SigningAlgorithm.ES256, SigningAlgorithm.RS256 })
        {
            var key = TestKeys.For(algorithm);
            var jwk = new JsonWebKey(Jwt.JwkJson(key.PublicKey));

            Assert.Equal(key.KeyId, Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()));
            Assert.Equal(key.KeyId, jwk.Kid);
            Assert.Equal("sig", jwk.Use);
        }
    }

    [Theory]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public void Validate_AcceptsIdentityModelToken_WhenKeyImportedFromJwk(SigningAlgorithm algorithm)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        SecurityKey securityKey;
        string credentialsAlgorithm;
        string jwkJson;
        if (algorithm == SigningAlgorithm.ES256)
        {
            var p = ecdsa.ExportParameters(false);
            securityKey = new ECDsaSecurityKey(ecdsa) { KeyId = "ms-ec" };
            credentialsAlgorithm = SecurityAlgorithms.EcdsaSha256;
            jwkJson = $$"""{"kty":"EC","crv":"P-256","x":"{{Jwt.B64(p.Q.X!)}}","y":"{{Jwt.B64(p.Q.Y!)}}","kid":"ms-ec","alg":"ES256"}""";
        }
        else
        {
            var p = rsa.ExportParameters(false);
            securityKey = new RsaSecurityKey(rsa) { KeyId = "ms-rsa" };
            credentialsAlgorithm = SecurityAlgorithms.RsaSha256;
            jwkJson = $$"""{"kty":"RSA","n":"{{Jwt.B64(p.Modulus!)}}","e":"{{Jwt.B64(p.Exponent!)}}","kid":"ms-rsa","alg":"RS256"}""";
        }

        var now = DateTimeOffset.UtcNow;
        string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Jwt.Issuer,
            Audience = Jwt.Audience,
            Subject = new ClaimsIdentity([new Claim("sub", Jwt.Subject)]),
            Claims = new Dictionary<string, object>
            {
                ["jti"] = Jwt.JwtId,
                ["scope"] = "orders:read read:data:*",
                ["task_id"] = "task-1",
            },
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.AddMinutes(5).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(securityKey, credentialsAlgorithm),
        });
        Assert.True(VerificationKey.TryFromJwk(Jwt.ParseJson(jwkJson), out var verificationKey, out string? error), error);
        using var ours = verificationKey!;
        var verifier = new TokenVerifier(new SingleKeySource(ours), new TokenVerifierOptions
        {
            Algorithm = algorithm,
            ValidIssuers = [Jwt.Issuer],
            Audience = Jwt.Audience,
        });

        var result = verifier.Validate(token, now);

        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(Jwt.Subject, result.Claims.Subject);
        Assert.Equal(Jwt.JwtId, result.Claims.JwtId);
        Assert.Equal(["orders:read", "read:data:*"], result.Claims.Scope);
        Assert.Equal("task-1", result.Claims.TaskId);
        Assert.Equal([Jwt.Audience], result.Claims.Audience);
    }

    private sealed class SingleKeySource(VerificationKey key) : IVerificationKeySource
    {
        public bool TryGetKey(string keyId, out VerificationKey? found)
        {
            found = string.Equals(keyId, key.KeyId, StringComparison.Ordinal) ? key : null;
            return found is not null;
        }
    }
}
