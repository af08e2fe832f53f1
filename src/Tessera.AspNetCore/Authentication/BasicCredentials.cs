using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Tessera.AspNetCore.Authentication;

/// <summary>The platform's HTTP Basic credentials, as the broker reads them on the feed and the report endpoint.</summary>
internal static class BasicCredentials
{
    /// <summary>RFC 6749 2.3.1: each part form-urlencoded before joining and base64-encoding.</summary>
    public static AuthenticationHeaderValue Header(string clientId, string clientSecret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(clientId) + ":" + WebUtility.UrlEncode(clientSecret))));
}
