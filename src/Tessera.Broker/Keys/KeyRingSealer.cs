using System.Security.Cryptography;
using System.Text;

namespace Tessera.Broker.Keys;

/// <summary>
/// Seals key rings for the shared database with AES-256-GCM under the key-encryption key
/// (<c>TESSERA_KEY_ENCRYPTION_KEY</c>): a copy of the database, or of its backups, gives out no
/// signing key. The ring's name and the version it is stored as are authenticated with it, so a
/// sealed ring can be passed off neither as another ring nor as another version: whoever can write
/// to the database cannot bring back an older ring (one with a key retired after a suspected
/// compromise) under a newer version number. Going back to the older number itself is refused by
/// <see cref="DatabaseSigningKeyStorage"/>, which never accepts a version below one it has seen.
/// Layout: format byte 2, 12-byte nonce, 16-byte tag, ciphertext. Format 1 (name only, no version)
/// is still opened, once, at start-up, so a ring stored before version binding can be resealed.
/// </summary>
public sealed class KeyRingSealer
{
    private const byte LegacyFormat = 1;
    private const byte Format = 2;
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

    /// <summary>Seals <paramref name="plaintext"/> as ring <paramref name="name"/> stored at <paramref name="version"/>.</summary>
    public byte[] Seal(string name, long version, ReadOnlySpan<byte> plaintext) => Seal(Format, Associated(name, version), plaintext);

    /// <summary>Seals in the version-less format 1 (what brokers before version binding wrote); for tests of the upgrade path.</summary>
    internal byte[] SealLegacy(string name, ReadOnlySpan<byte> plaintext) => Seal(LegacyFormat, LegacyAssociated(name), plaintext);

    /// <summary>
    /// Opens ring <paramref name="name"/> stored at <paramref name="version"/>; the caller zeroes the result after use.
    /// <paramref name="legacy"/> is true for a format-1 ring (not bound to a version), opened only when
    /// <paramref name="allowLegacy"/> is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not sealed under this key, altered, sealed as another ring or another version, or legacy when not allowed.</exception>
    public byte[] Open(string name, long version, byte[] sealedRing, bool allowLegacy, out bool legacy)
    {
        ArgumentNullException.ThrowIfNull(sealedRing);
        legacy = sealedRing.Length > 0 && sealedRing[0] == LegacyFormat;
        if (sealedRing.Length < 1 + NonceSize + TagSize || sealedRing[0] is not (Format or LegacyFormat))
        {
            throw new InvalidOperationException($"the stored key ring '{name}' is not in a known sealed format");
        }

        if (legacy && !allowLegacy)
        {
            throw new InvalidOperationException($"the stored key ring '{name}' is in the version-less format 1 after this broker resealed it: refused as a possible rollback");
        }

        byte[] plaintext = new byte[sealedRing.Length - 1 - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedRing.AsSpan(1, NonceSize), sealedRing.AsSpan(1 + NonceSize + TagSize), sealedRing.AsSpan(1 + NonceSize, TagSize), plaintext, legacy ? LegacyAssociated(name) : Associated(name, version));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidOperationException($"the stored key ring '{name}' does not open as version {version} with TESSERA_KEY_ENCRYPTION_KEY (another key, altered, or sealed for another version)", ex);
        }
    }

    private byte[] Seal(byte format, byte[] associated, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedRing = new byte[1 + NonceSize + TagSize + plaintext.Length];
        sealedRing[0] = format;
        var nonce = sealedRing.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedRing.AsSpan(1 + NonceSize + TagSize), sealedRing.AsSpan(1 + NonceSize, TagSize), associated);
        return sealedRing;
    }

    // The format byte is part of the associated data too, so a ring cannot be relabelled as the other format.
    private static byte[] Associated(string name, long version)
    {
        byte[] prefix = Encoding.UTF8.GetBytes("tessera key ring v2\0" + name + "\0");
        byte[] associated = new byte[prefix.Length + sizeof(long)];
        prefix.CopyTo(associated, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(associated.AsSpan(prefix.Length), version);
        return associated;
    }

    private static byte[] LegacyAssociated(string name) => Encoding.UTF8.GetBytes("tessera key ring " + name);
}
