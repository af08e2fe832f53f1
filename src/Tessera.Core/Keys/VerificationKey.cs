using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Tessera.Keys;

/// <summary>A public key that verifies JWS signatures of exactly one algorithm.</summary>
public abstract class VerificationKey : IDisposable
{
    private protected VerificationKey(string keyId, SigningAlgorithm algorithm)
    {
        KeyId = keyId;
        Algorithm = algorithm;
    }

    /// <summary>The JWK <c>kid</c>.</summary>
    public string KeyId { get; }

    /// <summary>The only algorithm this key verifies.</summary>
    public SigningAlgorithm Algorithm { get; }

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/>.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>Writes the public JWK (with <c>kid</c>, <c>use: "sig"</c> and <c>alg</c>).</summary>
    public void WriteJwk(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        WriteKeyMembers(writer);
        writer.WriteString("kid", KeyId);
        writer.WriteString("use", "sig");
        writer.WriteString("alg", Algorithm.Name());
        writer.WriteEndObject();
    }

    /// <summary>The RFC 7638 thumbprint (base64url SHA-256 of the canonical required members).</summary>
    public string ComputeThumbprint()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteKeyMembers(writer);
            writer.WriteEndObject();
        }

        return System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>Writes the key-type members in lexicographic order, as RFC 7638 requires.</summary>
    private protected abstract void WriteKeyMembers(Utf8JsonWriter writer);

    /// <summary>Reads a public JWK. Only the pinned algorithm's key types are accepted.</summary>
    public static bool TryFromJwk(JsonElement jwk, out VerificationKey? key, out string? error)
    {
        key = null;
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            error = "JWK is not an object";
            return false;
        }

        string? kty, kid, alg, use;
        try
        {
            kty = GetString(jwk, "kty");
            kid = GetString(jwk, "kid");
            alg = GetString(jwk, "alg");
            use = GetString(jwk, "use");
        }
        catch (InvalidOperationException)
        {
            error = "JWK member is not a valid string";
            return false;
        }

        if (string.IsNullOrEmpty(kid))
        {
            error = "JWK has no kid";
            return false;
        }

        if (use is not null && use != "sig")
        {
            error = "JWK use is not sig";
            return false;
        }

        try
        {
            switch (kty)
            {
                case "OKP" when GetString(jwk, "crv") == "Ed25519" && alg is null or "EdDSA":
                {
                    byte[] x = DecodeMember(jwk, "x");
                    if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, x, KeyBlobFormat.RawPublicKey, out var pk) || pk is null)
                    {
                        error = "invalid Ed25519 key";
                        return false;
                    }

                    key = new Ed25519VerificationKey(kid, pk);
                    break;
                }

                case "EC" when GetString(jwk, "crv") == "P-256" && alg is null or "ES256":
                {
                    var parameters = new ECParameters
                    {
                        Curve = ECCurve.NamedCurves.nistP256,
                        Q = new ECPoint { X = DecodeMember(jwk, "x"), Y = DecodeMember(jwk, "y") },
                    };
                    var ecdsa = ECDsa.Create(parameters);
                    key = new EcdsaVerificationKey(kid, ecdsa);
                    break;
                }

                case "RSA" when alg is null or "RS256":
                {
                    var parameters = new RSAParameters { Modulus = DecodeMember(jwk, "n"), Exponent = DecodeMember(jwk, "e") };
                    if (parameters.Modulus.Length < 256)
                    {
                        error = "RSA key shorter than 2048 bits";
                        return false;
                    }

                    var rsa = RSA.Create(parameters);
                    key = new RsaVerificationKey(kid, rsa);
                    break;
                }

                default:
                    error = "unsupported key type or algorithm";
                    return false;
            }
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException or InvalidOperationException)
        {
            error = "malformed key material";
            return false;
        }

        error = null;
        return true;
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] DecodeMember(JsonElement element, string name) =>
        System.Buffers.Text.Base64Url.DecodeFromChars(GetString(element, name) ?? throw new FormatException($"missing {name}"));

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases key material.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private protected static string B64(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private protected static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
