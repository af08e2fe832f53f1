using System.Text.Json;
using NSec.Cryptography;

namespace Tessera.Keys;

/// <summary>An Ed25519 public key (JWK <c>kty: OKP</c>, <c>crv: Ed25519</c>).</summary>
public sealed class Ed25519VerificationKey : VerificationKey
{
    private readonly PublicKey _key;

    internal Ed25519VerificationKey(string keyId, PublicKey key)
        : base(keyId, SigningAlgorithm.EdDSA) => _key = key;

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && SignatureAlgorithm.Ed25519.Verify(_key, data, signature);

    private protected override void WriteKeyMembers(Utf8JsonWriter writer)
    {
        writer.WriteString("crv", "Ed25519");
        writer.WriteString("kty", "OKP");
        writer.WriteString("x", B64(_key.Export(KeyBlobFormat.RawPublicKey)));
    }
}
