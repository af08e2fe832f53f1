using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.Keys;

namespace Tessera.Benchmarks;

/// <summary>Issuing one access token: Tessera's signer against JsonWebTokenHandler.CreateToken (baseline), same ES256 key and claims.</summary>
[MemoryDiagnoser]
public class SignBenchmarks
{
    private TokenFixture _es256 = null!;
    private TokenFixture _eddsa = null!;
    private JsonWebTokenHandler _handler = null!;
    private SecurityTokenDescriptor _descriptor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _es256 = new TokenFixture(SigningAlgorithm.ES256);
        _eddsa = new TokenFixture(SigningAlgorithm.EdDSA);
        _handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var privateJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ExportEcdsa(_es256.Key)) { KeyId = _es256.Key.KeyId });
        var claims = _es256.Claims;
        _descriptor = new SecurityTokenDescriptor
        {
            Issuer = claims.Issuer,
            Audience = claims.Audience[0],
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(claims.IssuedAt).UtcDateTime,
            NotBefore = DateTimeOffset.FromUnixTimeSeconds(claims.NotBefore).UtcDateTime,
            Expires = DateTimeOffset.FromUnixTimeSeconds(claims.ExpiresAt).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(privateJwk, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = claims.Subject,
                ["jti"] = claims.JwtId,
                ["scope"] = string.Join(' ', claims.Scope),
                ["task_id"] = claims.TaskId!,
                ["orch_id"] = claims.OrchId!,
            },
        };
    }

    [Benchmark(Baseline = true, Description = "IdentityModel ES256 sign")]
    public string IdentityModelEs256() => _handler.CreateToken(_descriptor);

    [Benchmark(Description = "Tessera ES256 sign")]
    public string TesseraEs256() => _es256.Signer.Sign(_es256.Claims, _es256.Key);

    [Benchmark(Description = "Tessera EdDSA sign")]
    public string TesseraEdDsa() => _eddsa.Signer.Sign(_eddsa.Claims, _eddsa.Key);

    private static System.Security.Cryptography.ECDsa ExportEcdsa(SigningKey key)
    {
        var ecdsa = System.Security.Cryptography.ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(key.ExportPrivateKey(), out _);
        return ecdsa;
    }
}
