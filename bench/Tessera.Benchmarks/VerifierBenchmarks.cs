using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tessera.AspNetCore.Authentication;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Benchmarks;

/// <summary>
/// The platform side, per algorithm, on the same token: the bare signature check of its bytes
/// (the physical floor), Tessera's full validation, JsonWebTokenHandler (baseline; it has no
/// EdDSA), and Tessera with the verified-token cache warm.
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    private TokenFixture _fixture = null!;
    private JsonWebTokenHandler _handler = null!;
    private TokenValidationParameters _parameters = null!;
    private VerifiedTokenCache _cache = null!;
    private byte[] _signingInput = null!;
    private byte[] _signature = null!;
    private DateTimeOffset _now;
    private TokenVerifier _overheadOnly = null!;

    /// <summary>The algorithm under test.</summary>
    [Params("ES256", "RS256", "EdDSA")]
    public string Algorithm { get; set; } = "ES256";

    [GlobalSetup]
    public void Setup()
    {
        if (!SigningAlgorithms.TryParse(Algorithm, out var alg))
        {
            throw new InvalidOperationException("unknown algorithm " + Algorithm);
        }

        _fixture = new TokenFixture(alg);
        _handler = new JsonWebTokenHandler();
        _parameters = _fixture.ValidationParameters(Algorithm);
        _now = DateTimeOffset.UtcNow;
        _overheadOnly = new TokenVerifier(
            new SignatureSkippedKeys(_fixture.Key.PublicKey),
            new TokenVerifierOptions { Algorithm = alg, ValidIssuers = ["https://broker.example"], Audience = "orders-api" });
        if (!_overheadOnly.Validate(_fixture.Token, _now).IsValid)
        {
            throw new InvalidOperationException("the overhead-only verifier refused the fixture token");
        }

        _cache = new VerifiedTokenCache(10_000);
        _cache.Add(_fixture.Token, _fixture.Verifier.Validate(_fixture.Token, _now).Claims!);
        int lastDot = _fixture.Token.LastIndexOf('.');
        _signingInput = System.Text.Encoding.ASCII.GetBytes(_fixture.Token[..lastDot]);
        _signature = System.Buffers.Text.Base64Url.DecodeFromChars(_fixture.Token.AsSpan(lastDot + 1));
    }

    [Benchmark(Description = "bare signature check (floor)")]
    public bool BareSignature() => _fixture.Key.PublicKey.Verify(_signingInput, _signature);

    [Benchmark(Description = "Tessera validation")]
    public bool Tessera() => _fixture.Verifier.Validate(_fixture.Token, _now).IsValid;

    [Benchmark(Description = "Tessera validation minus the signature check (overhead)")]
    public bool TesseraOverhead() => _overheadOnly.Validate(_fixture.Token, _now).IsValid;

    [Benchmark(Baseline = true, Description = "JsonWebTokenHandler")]
    public bool IdentityModel() =>
        Algorithm != "EdDSA" && _handler.ValidateTokenAsync(_fixture.Token, _parameters).GetAwaiter().GetResult().IsValid;

    [Benchmark(Description = "Tessera, verified-token cache warm")]
    public bool TesseraCached() => _cache.TryGet(_fixture.Token, _now.ToUnixTimeSeconds(), 30, out _);
}
