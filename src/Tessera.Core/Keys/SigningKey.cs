using System.Security.Cryptography;
using NSec.Cryptography;

namespace Tessera.Keys;

/// <summary>
/// A private signing key of one pinned algorithm. Loaded once and reused: signing allocates
/// nothing beyond the caller's buffer. The <c>kid</c> is the RFC 7638 thumbprint of the public key.
/// </summary>
public abstract class SigningKey : IDisposable
{
    private protected SigningKey(SigningAlgorithm algorithm, DateTimeOffset createdAt)
    {
        Algorithm = algorithm;
        CreatedAt = createdAt;
    }

    /// <summary>The algorithm this key signs with.</summary>
    public SigningAlgorithm Algorithm { get; }

    /// <summary>When the key was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The JWK <c>kid</c>.</summary>
    public string KeyId => PublicKey.KeyId;

    /// <summary>The public half.</summary>
    public abstract VerificationKey PublicKey { get; }

    /// <summary>Length of a signature in bytes.</summary>
    public abstract int SignatureSize { get; }

    /// <summary>Signs <paramref name="data"/> into <paramref name="signature"/>; returns bytes written.</summary>
    public abstract int Sign(ReadOnlySpan<byte> data, Span<byte> signature);

    /// <summary>Exports the private key for the key file (raw seed for Ed25519, PKCS#8 otherwise).</summary>
    public abstract byte[] ExportPrivateKey();

    /// <summary>Creates a new random key.</summary>
    public static SigningKey Generate(SigningAlgorithm algorithm, DateTimeOffset createdAt) => algorithm switch
    {
        SigningAlgorithm.EdDSA => new Ed25519SigningKey(
            Key.Create(NSec.Cryptography.SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }),
            createdAt),
        SigningAlgorithm.ES256 => new EcdsaSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256), createdAt),
        SigningAlgorithm.RS256 => new RsaSigningKey(RSA.Create(2048), createdAt),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Imports a key exported by <see cref="ExportPrivateKey"/>.</summary>
    /// <exception cref="CryptographicException">The bytes are not a key of this algorithm.</exception>
    public static SigningKey Import(SigningAlgorithm algorithm, ReadOnlySpan<byte> privateKey, DateTimeOffset createdAt)
    {
        switch (algorithm)
        {
            case SigningAlgorithm.EdDSA:
                if (!Key.TryImport(
                        NSec.Cryptography.SignatureAlgorithm.Ed25519,
                        privateKey,
                        KeyBlobFormat.RawPrivateKey,
                        out var key,
                        new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || key is null)
                {
                    throw new CryptographicException("not an Ed25519 private key");
                }

                return new Ed25519SigningKey(key, createdAt);
            case SigningAlgorithm.ES256:
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(privateKey, out _);
                if (ecdsa.KeySize != 256)
                {
                    ecdsa.Dispose();
                    throw new CryptographicException("not a P-256 key");
                }

                return new EcdsaSigningKey(ecdsa, createdAt);
            }

            case SigningAlgorithm.RS256:
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(privateKey, out _);
                if (rsa.KeySize < 2048)
                {
                    rsa.Dispose();
                    throw new CryptographicException("RSA key shorter than 2048 bits");
                }

                return new RsaSigningKey(rsa, createdAt);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm));
        }
    }

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
}

internal sealed class Ed25519SigningKey : SigningKey
{
    private readonly Key _key;

    public Ed25519SigningKey(Key key, DateTimeOffset createdAt)
        : base(SigningAlgorithm.EdDSA, createdAt)
    {
        _key = key;
        var ephemeral = new Ed25519VerificationKey("pending", key.PublicKey);
        PublicKey = new Ed25519VerificationKey(ephemeral.ComputeThumbprint(), key.PublicKey);
    }

    public override VerificationKey PublicKey { get; }

    public override int SignatureSize => 64;

    public override int Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        NSec.Cryptography.SignatureAlgorithm.Ed25519.Sign(_key, data, signature[..64]);
        return 64;
    }

    public override byte[] ExportPrivateKey() => _key.Export(KeyBlobFormat.RawPrivateKey);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}

internal sealed class EcdsaSigningKey : SigningKey
{
    private readonly ECDsa _key;

    public EcdsaSigningKey(ECDsa key, DateTimeOffset createdAt)
        : base(SigningAlgorithm.ES256, createdAt)
    {
        _key = key;
        var pub = ECDsa.Create(key.ExportParameters(false));
        using var probe = new EcdsaVerificationKey("pending", ECDsa.Create(key.ExportParameters(false)));
        PublicKey = new EcdsaVerificationKey(probe.ComputeThumbprint(), pub);
    }

    public override VerificationKey PublicKey { get; }

    public override int SignatureSize => 64;

    public override int Sign(ReadOnlySpan<byte> data, Span<byte> signature) =>
        _key.SignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public override byte[] ExportPrivateKey() => _key.ExportPkcs8PrivateKey();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
            PublicKey.Dispose();
        }

        base.Dispose(disposing);
    }
}

internal sealed class RsaSigningKey : SigningKey
{
    private readonly RSA _key;

    public RsaSigningKey(RSA key, DateTimeOffset createdAt)
        : base(SigningAlgorithm.RS256, createdAt)
    {
        _key = key;
        var pub = RSA.Create(key.ExportParameters(false));
        using var probe = new RsaVerificationKey("pending", RSA.Create(key.ExportParameters(false)));
        PublicKey = new RsaVerificationKey(probe.ComputeThumbprint(), pub);
    }

    public override VerificationKey PublicKey { get; }

    public override int SignatureSize => _key.KeySize / 8;

    public override int Sign(ReadOnlySpan<byte> data, Span<byte> signature) =>
        _key.SignData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public override byte[] ExportPrivateKey() => _key.ExportPkcs8PrivateKey();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
            PublicKey.Dispose();
        }

        base.Dispose(disposing);
    }
}
