using System.Security.Cryptography;
using System.Text.Json;

namespace Tessera.Keys;

/// <summary>A P-256 public key for ES256 (JWK <c>kty: EC</c>).</summary>
public sealed class EcdsaVerificationKey : VerificationKey
{
    private readonly ECDsa _key;

    internal EcdsaVerificationKey(string keyId, ECDsa key)
        : base(keyId, SigningAlgorithm.ES256) => _key = key;

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    private protected override void WriteKeyMembers(Utf8JsonWriter writer)
    {
        var p = _key.ExportParameters(false);
        writer.WriteString("crv", "P-256");
        writer.WriteString("kty", "EC");
        writer.WriteString("x", B64(p.Q.X));
        writer.WriteString("y", B64(p.Q.Y));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
