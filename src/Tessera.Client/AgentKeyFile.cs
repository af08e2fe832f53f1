using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using NSec.Cryptography;

namespace Tessera.Client;

/// <summary>The agent's Ed25519 key: in memory, or in a file readable by its owner only.</summary>
internal static class AgentKeyFile
{
    // Any permission for the group or others: the same rule as OpenSSH's for a private key. A
    // readable file gives the key away; a writable one lets another user swap in a key they know.
    private const UnixFileMode OthersMayUse =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const int MaxFileBytes = 4096;

    public static Key LoadOrCreate(string? path)
    {
        if (path is null)
        {
            return Key.Create(SignatureAlgorithm.Ed25519);
        }

        if (File.Exists(path))
        {
            return Load(path);
        }

        var key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        byte[] secret = key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.Write(Convert.ToBase64String(secret));
        }
        finally
        {
            Array.Clear(secret);
        }

        return key;
    }

    /// <summary>
    /// Reads an existing key file, refusing it on Unix when the group or others have any permission
    /// on it. The mode is read from the opened handle, so the file checked is the file read. On
    /// Windows there are no mode bits: the file's ACL (inherited from its folder) is not inspected.
    /// </summary>
    private static Key Load(string path)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(handle);
            if ((mode & OthersMayUse) != 0)
            {
                string octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
                throw new TesseraConfigurationException(
                    string.Create(CultureInfo.InvariantCulture, $"the agent key file '{path}' is open to other users (mode {octal}); an Ed25519 private key must be readable by its owner only: chmod 600 '{path}' (or delete it to make a new key)"),
                    "key_file_too_open");
            }
        }

        long length = RandomAccess.GetLength(handle);
        if (length > MaxFileBytes)
        {
            throw new FormatException("the file is too large to be an agent key");
        }

        byte[] text = new byte[length];
        byte[]? raw = null;
        try
        {
            int read = 0;
            while (read < text.Length)
            {
                int n = RandomAccess.Read(handle, text.AsSpan(read), read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            raw = Convert.FromBase64String(Encoding.ASCII.GetString(text, 0, read).Trim());
            return Key.Import(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        }
        finally
        {
            Array.Clear(text);
            if (raw is not null)
            {
                Array.Clear(raw);
            }
        }
    }
}
