using System.Net;

namespace Tessera.Broker.Hosting;

/// <summary>
/// The issuer a listen URL stands for, when no issuer is configured: <c>scheme://host:port</c> of the
/// first <c>--urls</c> address. Hosts that mean "every interface" name no reachable broker and are refused.
/// </summary>
internal static class ListenIssuer
{
    /// <summary>What the first listen URL gives.</summary>
    /// <param name="Issuer">The issuer, or null with a <paramref name="Problem"/>.</param>
    /// <param name="PortPending">True when the port is 0: the issuer's port is known only after binding.</param>
    /// <param name="Loopback">True for a loopback host.</param>
    /// <param name="Problem">Why the URL cannot be the issuer under the policy.</param>
    internal readonly record struct Result(string? Issuer, bool PortPending, bool Loopback, string? Problem);

    public static Result FromUrl(string url, IssuerDefault policy)
    {
        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return new(null, false, false, $"TESSERA_ISSUER is not set and the listen URL '{url}' is not scheme://host:port; set TESSERA_ISSUER to the URL clients reach the broker at");
        }

        string scheme = url[..schemeEnd].ToLowerInvariant();
        string rest = url[(schemeEnd + 3)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash >= 0 ? rest[..slash] : rest;
        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            host = close > 0 ? authority[..(close + 1)] : authority;
            if (close > 0 && close + 1 < authority.Length && authority[close + 1] == ':')
            {
                port = authority[(close + 2)..];
            }
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            host = colon >= 0 ? authority[..colon] : authority;
            port = colon >= 0 ? authority[(colon + 1)..] : null;
        }

        string trimmed = url.TrimEnd('/');
        if (IsWildcard(host))
        {
            return new(null, false, false,
                $"TESSERA_ISSUER is not set and {trimmed} listens on every interface, which names no host; " +
                "set TESSERA_ISSUER (or issuer in the config file) to the URL clients reach the broker at, e.g. https://tessera.example.com");
        }

        bool loopback = IsLoopback(host);
        if (!loopback && policy == IssuerDefault.LoopbackListenUrl)
        {
            return new(null, false, false,
                $"TESSERA_ISSUER is not set and {trimmed} is not a loopback address; tessera serve takes its issuer from the listen URL " +
                "only on loopback: set TESSERA_ISSUER (or issuer in the config file) to the URL clients reach the broker at, e.g. https://tessera.example.com");
        }

        bool pending = port == "0";
        string issuer = port is null or "" ? $"{scheme}://{host}" : $"{scheme}://{host}:{port}";
        return new(issuer, pending, loopback, null);
    }

    /// <summary>
    /// The bound address that stands for the first listen URL: the first address Kestrel reports
    /// with its scheme and host (Kestrel reports the real port in place of 0).
    /// </summary>
    public static string FromBound(string firstUrl, IEnumerable<string> boundAddresses)
    {
        var addresses = boundAddresses.Select(a => a.TrimEnd('/')).ToList();
        string prefix = firstUrl.TrimEnd('/');
        int lastColon = prefix.LastIndexOf(':');
        if (lastColon > prefix.IndexOf("://", StringComparison.Ordinal) + 2)
        {
            prefix = prefix[..(lastColon + 1)];
        }

        return addresses.FirstOrDefault(a => a.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) ?? addresses.First();
    }

    private static bool IsWildcard(string host) =>
        host is "*" or "+" or "" or "[::]" or "0.0.0.0" or "[0:0:0:0:0:0:0:0]";

    private static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }
}
