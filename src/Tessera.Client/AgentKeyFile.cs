using NSec.Cryptography;

namespace Tessera.Client;

/// <summary>The agent's Ed25519 key: in memory, or in a file readable by its owner only.</summary>
internal static class AgentKeyFile
{
    public static Key LoadOrCreate(string? path)
    {
        if (path is null)
        {
            return Key.Create(SignatureAlgorithm.Ed25519);
        }

        if (File.Exists(path))
        {
            byte[] raw = Convert.FromBase64String(File.ReadAllText(path).Trim());
            try
            {
                return Key.Import(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
            }
            finally
            {
                Array.Clear(raw);
            }
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
}
