using System.Text;
using NSec.Cryptography;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>An agent's Ed25519 key pair, as an agent SDK would hold it.</summary>
public sealed class AgentKey : IDisposable
{
    private readonly Key _key;

    private AgentKey(Key key) => _key = key;

    public static AgentKey Create() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public byte[] PublicKeyRaw => _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    public string PublicKeyBase64 => Convert.ToBase64String(PublicKeyRaw);

    /// <summary>The mistake of sending the SubjectPublicKeyInfo (DER) form: 44 bytes.</summary>
    public string PublicKeyDerBase64 => Convert.ToBase64String(_key.PublicKey.Export(KeyBlobFormat.PkixPublicKey));

    /// <summary>The right way: sign the 32 hex-decoded nonce bytes.</summary>
    public string SignNonce(string nonceHex) => Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(_key, Convert.FromHexString(nonceHex)));

    /// <summary>The mistake of signing the hex text.</summary>
    public string SignNonceText(string nonceHex) => Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(_key, Encoding.UTF8.GetBytes(nonceHex)));

    public void Dispose() => _key.Dispose();
}
