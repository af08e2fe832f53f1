using System.Globalization;

namespace Tessera.Client;

/// <summary>
/// Origins (RFC 6454: scheme, host, port) as the SDK compares them: <c>scheme://host:port</c>, lower
/// case, the port always written (443 for https, 80 for http when the URL leaves it out), without
/// user info, path, query or fragment.
/// </summary>
internal static class Origins
{
    /// <summary>The origin of an absolute http(s) URI.</summary>
    public static string Of(Uri uri) =>
        string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme.ToLowerInvariant()}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}");

    /// <summary>The origins a host name registered at the broker (no scheme, no port) stands for: https on 443 and http on 80.</summary>
    public static IEnumerable<string> OfHostName(string hostName)
    {
        if (Uri.TryCreate("https://" + hostName + "/", UriKind.Absolute, out var https) && https.IsDefaultPort && https.AbsolutePath == "/")
        {
            yield return Of(https);
            yield return Of(new Uri("http://" + hostName + "/"));
        }
    }

    /// <summary>The origin of a URL the application allowed; refuses anything but an absolute http(s) URL without user info.</summary>
    public static string OfAllowed(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new TesseraConfigurationException("AllowedOrigins: each entry must be an absolute http(s) URL such as https://orders.example.com", "invalid_allowed_origin");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new TesseraConfigurationException($"AllowedOrigins: the entry for {url.Host} carries user information; credentials never belong in a URL", "invalid_allowed_origin");
        }

        return Of(url);
    }
}
