using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;

namespace Tessera.Broker.Admin;

/// <summary>
/// Checks the admin secret against its bcrypt hash. A plain-text secret from the environment is
/// hashed once at start and the plain text is not kept. bcrypt is right here: the admin secret
/// may be chosen by a human, and its comparison is constant-time over the derived hash.
/// </summary>
public sealed class AdminSecretVerifier
{
    private readonly string _hash;

    /// <summary>Creates the verifier from validated options.</summary>
    public AdminSecretVerifier(IOptions<BrokerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _hash = o.AdminSecret is { Length: > 0 } secret
            ? BCrypt.Net.BCrypt.HashPassword(secret, o.BcryptCost)
            : o.AdminSecretHash!;
        o.AdminSecret = null;
    }

    /// <summary>True when <paramref name="secret"/> matches. CPU-bound by design (bcrypt).</summary>
    public bool Verify(string secret)
    {
        // bcrypt only reads the first 72 bytes; refuse longer secrets rather than silently ignore their tail.
        if (System.Text.Encoding.UTF8.GetByteCount(secret) > 72)
        {
            return false;
        }

        try
        {
            return BCrypt.Net.BCrypt.Verify(secret, _hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}
