namespace Tessera.Tokens;

/// <summary>Reads the token out of an <c>Authorization: Bearer</c> header value (RFC 6750 §2.1).</summary>
/// <remarks>
/// One rule for the broker and the verification library: the scheme is <c>Bearer</c> in any case,
/// followed by exactly one space; the rest, trimmed of surrounding white space, is the token. The
/// token itself is not checked here; the verifier refuses a malformed or empty one.
/// </remarks>
public static class BearerHeader
{
    private const string Prefix = "Bearer ";

    /// <summary>True when <paramref name="header"/> uses the Bearer scheme; the trimmed rest in <paramref name="token"/> (possibly empty).</summary>
    public static bool TryRead(string? header, out string token)
    {
        if (!HasBearerScheme(header))
        {
            token = "";
            return false;
        }

        token = header![Prefix.Length..].Trim();
        return true;
    }

    /// <summary>True when <paramref name="header"/> starts with the Bearer scheme and its space, in any case.</summary>
    public static bool HasBearerScheme(string? header) =>
        header is not null && header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);
}
