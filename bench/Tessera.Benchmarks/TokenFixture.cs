using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Benchmarks;

/// <summary>The same key and the same claims for Tessera and for Microsoft.IdentityModel (the baseline).</summary>
internal sealed class TokenFixture
{
    public TokenFixture(SigningAlgorithm algorithm)
    {
        var now = DateTimeOffset.UtcNow;
        Key = SigningKey.Generate(algorithm, now);
        Ring = new SigningKeyRing(Key);
        Claims = new AccessTokenClaims
        {
            Issuer = "https://broker.example",
            Subject = "spiffe://tessera.local/agent/orch-1/task-1/0123456789abcdef",
            Audience = ["orders-api"],
            IssuedAt = now.ToUnixTimeSeconds(),
            NotBefore = now.ToUnixTimeSeconds(),
            ExpiresAt = now.ToUnixTimeSeconds() + 300,
            JwtId = "0123456789abcdef0123456789abcdef",
            Scope = ["read:data:*", "write:orders:own"],
            TaskId = "task-1",
            OrchId = "orch-1",
        };
        Verifier = new TokenVerifier(Ring, new TokenVerifierOptions { Algorithm = algorithm, ValidIssuers = ["https://broker.example"], Audience = "orders-api" });
        Token = Signer.Sign(Claims, Key);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Key.PublicKey.WriteJwk(writer);
        }

        PublicJwk = new JsonWebKey(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public SigningKey Key { get; }

    public SigningKeyRing Ring { get; }

    public AccessTokenClaims Claims { get; }

    public TokenSigner Signer { get; } = new();

    public TokenVerifier Verifier { get; }

    public string Token { get; }

    public JsonWebKey PublicJwk { get; }

    public TokenValidationParameters ValidationParameters(string alg) => new()
    {
        ValidIssuer = "https://broker.example",
        ValidAudience = "orders-api",
        IssuerSigningKey = PublicJwk,
        ValidAlgorithms = [alg],
        ValidTypes = ["at+jwt"],
    };
}
