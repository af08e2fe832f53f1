using System.Globalization;
using Tessera.AspNetCore.Diagnostics;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// The details of refusals whose fix is a setting: each names the values involved (issuers,
/// audiences, key id, JWKS URL), cut and sanitized by <see cref="Printable"/>. Broker URLs are
/// public metadata; the token itself never appears.
/// </summary>
internal static class RefusalDetails
{
    private const int MaxListed = 8;

    /// <summary>The token's <c>iss</c> (its signature verified) against the accepted issuers and where they come from.</summary>
    public static string WrongIssuer(string token, IReadOnlyList<string> accepted, string origin, int maxTokenLength)
    {
        UnverifiedClaims.TryRead(token, maxTokenLength, out string? issuer, out _);
        return string.Create(CultureInfo.InvariantCulture,
            $"token issuer '{Printable.Cut(issuer)}' is not accepted; this platform accepts {List(accepted)} ({origin})");
    }

    /// <summary>The token's <c>aud</c> values (its signature verified) against this platform's audience.</summary>
    public static string WrongAudience(string token, string? expected, int maxTokenLength)
    {
        UnverifiedClaims.TryRead(token, maxTokenLength, out _, out var audience);
        return string.Create(CultureInfo.InvariantCulture,
            $"token audience {List(audience)} does not include this platform's audience '{Printable.Cut(expected)}' (Audience): the token was issued for another platform");
    }

    /// <summary>A <c>kid</c> the JWKS does not publish, with the token's unverified <c>iss</c> when it is not an accepted issuer.</summary>
    public static string UnknownKey(string token, string kid, Uri jwks, IReadOnlyList<string> accepted, int maxTokenLength)
    {
        string head = $"signing key '{Printable.Cut(kid)}' is not published at {jwks}";
        if (UnverifiedClaims.TryRead(token, maxTokenLength, out string? issuer, out _) && issuer is not null && !accepted.Contains(issuer, StringComparer.Ordinal))
        {
            return $"{head}; the token's issuer '{Printable.Cut(issuer)}' (unverified) is not this broker ({List(accepted)}): it was issued by another broker";
        }

        return head + ": the key was retired, or the token was not signed by this broker";
    }

    private static string List(IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return "none";
        }

        string listed = string.Join(", ", values.Take(MaxListed).Select(v => "'" + Printable.Cut(v) + "'"));
        return values.Count > MaxListed ? listed + ", …" : listed;
    }
}
