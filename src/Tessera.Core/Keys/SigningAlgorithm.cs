using System.Diagnostics.CodeAnalysis;

namespace Tessera.Keys;

/// <summary>The JWS algorithms Tessera signs and verifies with. Nothing else is ever accepted.</summary>
public enum SigningAlgorithm
{
    /// <summary>Ed25519 (RFC 8037). The default: fast and small.</summary>
    EdDSA,

    /// <summary>ECDSA on P-256 with SHA-256.</summary>
    ES256,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.</summary>
    RS256,
}

/// <summary>Names and parsing of <see cref="SigningAlgorithm"/>.</summary>
public static class SigningAlgorithms
{
    /// <summary>The JWS <c>alg</c> name.</summary>
    public static string Name(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EdDSA => "EdDSA",
        SigningAlgorithm.ES256 => "ES256",
        SigningAlgorithm.RS256 => "RS256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Parses a JWS <c>alg</c> name, exactly (case-sensitive, as JWS requires).</summary>
    public static bool TryParse([NotNullWhen(true)] string? name, out SigningAlgorithm algorithm)
    {
        switch (name)
        {
            case "EdDSA":
                algorithm = SigningAlgorithm.EdDSA;
                return true;
            case "ES256":
                algorithm = SigningAlgorithm.ES256;
                return true;
            case "RS256":
                algorithm = SigningAlgorithm.RS256;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }
}
