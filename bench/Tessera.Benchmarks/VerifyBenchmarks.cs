using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.Keys;

namespace Tessera.Benchmarks;

/// <summary>
/// Verifying one access token: Tessera's pinned-algorithm verifier against
/// Microsoft.IdentityModel's JsonWebTokenHandler (baseline), same ES256 key, same token.
/// </summary>
[MemoryDiagnoser]
public class VerifyBenchmarks
{
    private TokenFixture _es256 = null!;
    private TokenFixture _eddsa = null!;
    private JsonWebTokenHandler _handler = null!;
    private TokenValidationParameters _parameters = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _es256 = new TokenFixture(SigningAlgorithm.ES256);
        _eddsa = new TokenFixture(SigningAlgorithm.EdDSA);
        _handler = new JsonWebTokenHandler();
        _parameters = _es256.ValidationParameters("ES256");
        _now = DateTimeOffset.UtcNow;
    }

    [Benchmark(Baseline = true, Description = "IdentityModel ES256 verify")]
    public bool IdentityModelEs256() => _handler.ValidateTokenAsync(_es256.Token, _parameters).GetAwaiter().GetResult().IsValid;

    [Benchmark(Description = "Tessera ES256 verify")]
    public bool TesseraEs256() => _es256.Verifier.Validate(_es256.Token, _now).IsValid;

    [Benchmark(Description = "Tessera EdDSA verify")]
    public bool TesseraEdDsa() => _eddsa.Verifier.Validate(_eddsa.Token, _now).IsValid;

    [Benchmark(Description = "Tessera reject alg=none")]
    public bool TesseraRejectNone() => _es256.Verifier.Validate("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.AA", _now).IsValid;
}
