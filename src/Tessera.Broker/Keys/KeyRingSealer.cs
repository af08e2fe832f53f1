using System.Security.Cryptography;
using System.Text;

namespace Tessera.Broker.Keys;

/// <summary>
/// Seals key rings for the shared database with AES-256-GCM under the key-encryption key
/// (<c>TESSERA_KEY_ENCRYPTION_KEY</c>): a copy of the database, or of its backups, gives out no
/// signing key. The ring's name is authenticated with it, so a sealed ring cannot be passed off as
/// another one. Layout: format byte 1, 12-byte nonce, 16-byte tag, ciphertext.
/// </summary>
public sealed class KeyRingSealer
{
    private const byte Format = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] _key;

    /// <summary>Uses the 32-byte <paramref name="keyEncryptionKey"/>.</summary>
    public KeyRingSealer(byte[] keyEncryptionKey)
    {
        ArgumentNullException.ThrowIfNull(keyEncryptionKey);
        if (keyEncryptionKey.Length != 32)
        {
            throw new ArgumentException("the key-encryption key must be 32 bytes", nameof(keyEncryptionKey));
        }

        _key = [.. keyEncryptionKey];
    }

    /// <summary>Seals <paramref name="plaintext"/> as ring <paramref name="name"/>.</summary>
    public byte[] Seal(string name, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedRing = new byte[1 + NonceSize + TagSize + plaintext.Length];
        sealedRing[0] = Format;
        var nonce = sealedRing.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedRing.AsSpan(1 + NonceSize + TagSize), sealedRing.AsSpan(1 + NonceSize, TagSize), Associated(name));
        return sealedRing;
    }

    /// <summary>Opens ring <paramref name="name"/>; the caller zeroes the result after use.</summary>
    /// <exception cref="InvalidOperationException">Not sealed under this key, altered, or sealed as another ring.</exception>
    public byte[] Open(string name, byte[] sealedRing)
    {
        ArgumentNullException.ThrowIfNull(sealedRing);
        if (sealedRing.Length < 1 + NonceSize + TagSize || sealedRing[0] != Format)
        {
            throw new InvalidOperationException($"the stored key ring '{name}' is not in a known sealed format");
        }

        byte[] plaintext = new byte[sealedRing.Length - 1 - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedRing.AsSpan(1, NonceSize), sealedRing.AsSpan(1 + NonceSize + TagSize), sealedRing.AsSpan(1 + NonceSize, TagSize), plaintext, Associated(name));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidOperationException($"the stored key ring '{name}' does not open with TESSERA_KEY_ENCRYPTION_KEY (another key, or altered)", ex);
        }
    }

    private static byte[] Associated(string name) => Encoding.UTF8.GetBytes("tessera key ring " + name);
}
