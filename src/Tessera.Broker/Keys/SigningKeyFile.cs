using System.Security.Cryptography;
using System.Text.Json;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// The signing key file: JSON holding every key the broker still publishes, the active one
/// first. Created owner-only (0600) and replaced atomically (write to a temp file, rename), so
/// a crash never leaves a half-written key.
/// </summary>
public static class SigningKeyFile
{
    /// <summary>Loads the ring from <paramref name="path"/>, creating a new key of <paramref name="algorithm"/> when the file is absent or its active key uses another algorithm.</summary>
    /// <exception cref="InvalidOperationException">The file exists but cannot be read as a key file.</exception>
    public static SigningKeyRing LoadOrCreate(string path, SigningAlgorithm algorithm, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var keys = File.Exists(path) ? Read(path) : [];
        if (keys.Count > 0 && keys[0].Algorithm == algorithm)
        {
            return new SigningKeyRing(keys[0], keys.Skip(1));
        }

        var fresh = SigningKey.Generate(algorithm, time.GetUtcNow());
        var ring = new SigningKeyRing(fresh, keys);
        Write(path, ring.All);
        return ring;
    }

    /// <summary>Writes the keys, active first, atomically and owner-only.</summary>
    public static void Write(string path, IReadOnlyList<SigningKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        string temp = full + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        byte[] json = Serialize(keys);
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(json);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The key file's JSON for <paramref name="keys"/> (active first); it holds private keys, so the caller zeroes it after use.</summary>
    public static byte[] Serialize(IReadOnlyList<SigningKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        // Sized for any ring in one allocation, so no outgrown copy of the private keys is left behind.
        using var buffer = new MemoryStream(64 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteStartArray("keys");
            foreach (var key in keys)
            {
                byte[] secret = key.ExportPrivateKey();
                try
                {
                    writer.WriteStartObject();
                    writer.WriteString("kid", key.KeyId);
                    writer.WriteString("alg", key.Algorithm.Name());
                    writer.WriteString("created_at", key.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                    writer.WriteBase64String("private_key", secret);
                    writer.WriteEndObject();
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        byte[] json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length).ToArray();
        CryptographicOperations.ZeroMemory(buffer.GetBuffer());
        return json;
    }

    /// <summary>Reads the keys of a key file, active first.</summary>
    /// <exception cref="InvalidOperationException">The file is not a valid key file.</exception>
    public static List<SigningKey> Read(string path)
    {
        byte[] json = File.ReadAllBytes(path);
        try
        {
            return Parse(json, $"signing key file {path}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>Parses key file JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidOperationException">Not valid key file JSON.</exception>
    public static List<SigningKey> Parse(byte[] json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var result = new List<SigningKey>();
            foreach (var element in document.RootElement.GetProperty("keys").EnumerateArray())
            {
                if (!SigningAlgorithms.TryParse(element.GetProperty("alg").GetString(), out var alg))
                {
                    throw new InvalidOperationException($"{source} names an unknown algorithm");
                }

                var created = DateTimeOffset.Parse(element.GetProperty("created_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                byte[] secret = element.GetProperty("private_key").GetBytesFromBase64();
                try
                {
                    result.Add(SigningKey.Import(alg, secret, created));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
            }

            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or CryptographicException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{source} is not a valid Tessera key file: {ex.GetType().Name}", ex);
        }
    }
}
