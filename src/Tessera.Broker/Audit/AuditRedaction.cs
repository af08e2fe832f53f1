using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Broker.Audit;

/// <summary>
/// What a client-supplied value may look like in the audit chain, which is permanent and exported.
/// Every place that audits a client-supplied id or request path goes through here.
/// </summary>
internal static class AuditRedaction
{
    /// <summary>The longest request path kept in an audit detail; the rest is summarised by its length and hash.</summary>
    public const int MaxPathChars = 128;

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// A presented client id (agent key id, app or platform client_id) as the audit chain may hold it:
    /// only a value shaped like an id this broker issues (<c>tsr_kid_</c> and 32 lower-case hex) is
    /// written; anything else, for example a secret pasted into <c>client_id</c>, is replaced by its length.
    /// </summary>
    public static string ClientId(string? value) =>
        value is null ? ""
        : IsIssuedClientId(value) ? value
        : $"(not a client id, {value.Length} characters)";

    /// <summary>True when <paramref name="value"/> has the shape of a client id this broker issues.</summary>
    public static bool IsIssuedClientId(string value) =>
        value.Length == 40 && value.StartsWith("tsr_kid_", StringComparison.Ordinal) && !value.AsSpan(8).ContainsAnyExcept(LowerHex);

    /// <summary>
    /// A request path bounded for the audit chain: at most <see cref="MaxPathChars"/> characters, and
    /// for a longer one its length and the first 16 hex digits of its SHA-256, so a flood of long paths
    /// cannot grow the log while the same path can still be recognised.
    /// </summary>
    public static AuditFragment Path(string? path)
    {
        path ??= "";
        if (path.Length <= MaxPathChars)
        {
            return AuditFragment.Of($" | path={path}");
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..16];
        return AuditFragment.Of($" | path={path[..MaxPathChars]} | path_len={path.Length} | path_sha256={hash}");
    }
}
