using Tessera.Keys;

namespace Tessera.Core.Tests.Support;

/// <summary>Keys generated once per test run (RSA generation is slow) and shared read-only.</summary>
internal static class TestKeys
{
    public static readonly DateTimeOffset CreatedAt = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<SigningKey> EdDsaKey = new(() => SigningKey.Generate(SigningAlgorithm.EdDSA, CreatedAt));
    private static readonly Lazy<SigningKey> Es256Key = new(() => SigningKey.Generate(SigningAlgorithm.ES256, CreatedAt));
    private static readonly Lazy<SigningKey> Rs256Key = new(() => SigningKey.Generate(SigningAlgorithm.RS256, CreatedAt));
    private static readonly Lazy<SigningKey> OtherEdDsaKey = new(() => SigningKey.Generate(SigningAlgorithm.EdDSA, CreatedAt));

    /// <summary>The shared key for <paramref name="algorithm"/>.</summary>
    public static SigningKey For(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EdDSA => EdDsaKey.Value,
        SigningAlgorithm.ES256 => Es256Key.Value,
        SigningAlgorithm.RS256 => Rs256Key.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>A second EdDSA key that no verifier trusts.</summary>
    public static SigningKey Stranger => OtherEdDsaKey.Value;
}
