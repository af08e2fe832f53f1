using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Tessera.Broker.Http;

/// <summary>
/// Gives every request an id: a sane inbound <c>X-Request-ID</c> is echoed, anything else is
/// replaced by 16 random hex characters. Also sets the security headers every response carries.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next)
{
    private const string HeaderName = "X-Request-ID";
    private static readonly object Key = new();

    public Task InvokeAsync(HttpContext context)
    {
        string? inbound = context.Request.Headers[HeaderName];
        string id = IsSane(inbound) ? inbound! : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        context.Items[Key] = id;
        context.TraceIdentifier = id;
        var headers = context.Response.Headers;
        headers[HeaderName] = id;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        return next(context);
    }

    public static string Get(HttpContext context) =>
        context.Items.TryGetValue(Key, out var value) && value is string id ? id : context.TraceIdentifier;

    // Only ids that cannot smuggle anything into logs or headers are echoed.
    private static bool IsSane(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 64)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
