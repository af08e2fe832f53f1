using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Apps;

/// <summary>
/// Client credentials: generation and checking. A client secret is 256 random bits, so a keyed
/// SHA-256 (HMAC under a server pepper kept outside the database) is the right at-rest hash: a
/// slow password hash protects guessable human passwords, not random keys, and would only make
/// every authentication cost milliseconds. Comparison is constant-time.
/// </summary>
public sealed class ClientSecrets
{
    private readonly byte[] _pepper;

    /// <summary>Loads the pepper from configuration, or from (creating) the pepper file.</summary>
    public ClientSecrets(IOptions<BrokerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _pepper = o.SecretPepper is { } configured ? Convert.FromBase64String(configured) : LoadOrCreate(o.SecretPepperPath);
    }

    /// <summary>A new public client id: <c>tsr_kid_</c> + 32 hex.</summary>
    public static string NewClientId() => "tsr_kid_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A new secret: <c>tsr_sk_</c> + 256 random bits, base64url.</summary>
    public static string NewSecret() => "tsr_sk_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The keyed hash stored for <paramref name="secret"/>.</summary>
    public byte[] Hash(string secret) => HMACSHA256.HashData(_pepper, Encoding.UTF8.GetBytes(secret));

    /// <summary>True when <paramref name="secret"/> is the client's current secret, or its previous one within the grace window.</summary>
    public bool Verify(ClientRecord client, string secret, long nowMs) => Check(client, secret, nowMs) is SecretMatch.Current or SecretMatch.Previous;

    /// <summary>
    /// Which of the client's secrets <paramref name="secret"/> is. Both hashes are always compared
    /// (in constant time), so timing does not tell which one matched or whether any did.
    /// </summary>
    public SecretMatch Check(ClientRecord client, string secret, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length > 512)
        {
            return SecretMatch.None;
        }

        byte[] presented = Hash(secret);
        bool current = CryptographicOperations.FixedTimeEquals(presented, client.SecretHash);
        bool previous = client.PreviousSecretHash is { } old && CryptographicOperations.FixedTimeEquals(presented, old);
        if (!client.SecretEnabled)
        {
            return SecretMatch.None;
        }

        return current ? SecretMatch.Current
            : !previous ? SecretMatch.None
            : client.PreviousValidUntilMs > nowMs ? SecretMatch.Previous
            : SecretMatch.Expired;
    }

    private static byte[] LoadOrCreate(string path)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            byte[] existing = Convert.FromBase64String(File.ReadAllText(full).Trim());
            if (existing.Length < 32)
            {
                throw new InvalidOperationException($"pepper file {path} holds fewer than 32 bytes");
            }

            return existing;
        }

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

        byte[] pepper = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(full, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(pepper));
        }

        return pepper;
    }
}

/// <summary>How a presented secret relates to a client's secrets.</summary>
public enum SecretMatch
{
    /// <summary>Matches neither secret (or the client has secrets disabled).</summary>
    None,

    /// <summary>The current secret.</summary>
    Current,

    /// <summary>The previous secret, inside its grace window.</summary>
    Previous,

    /// <summary>The previous secret, after its grace window ended.</summary>
    Expired,
}
