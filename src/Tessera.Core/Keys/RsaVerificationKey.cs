using System.Security.Cryptography;
using System.Text.Json;

namespace Tessera.Keys;

/// <summary>An RSA public key for RS256 (JWK <c>kty: RSA</c>).</summary>
public sealed class RsaVerificationKey : VerificationKey
{
    private readonly RSA _key;

    internal RsaVerificationKey(string keyId, RSA key)
        : base(keyId, SigningAlgorithm.RS256) => _key = key;

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == _key.KeySize / 8 && _key.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    private protected override void WriteKeyMembers(Utf8JsonWriter writer)
    {
        var p = _key.ExportParameters(false);
        writer.WriteString("e", B64(p.Exponent));
        writer.WriteString("kty", "RSA");
        writer.WriteString("n", B64(p.Modulus));
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
