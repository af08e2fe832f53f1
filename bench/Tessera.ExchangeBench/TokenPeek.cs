using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Tessera.ExchangeBench;

/// <summary>
/// Describes an issued token without verifying it: enough to show both sides issue the same
/// kind of thing (a signed, unencrypted JWT, its algorithm and audience).
/// </summary>
internal static class TokenPeek
{
    public static async Task<string> DescribeAsync(ExchangeTarget target)
    {
        using var request = target.NewRequest();
        using var response = await target.Http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (!body.RootElement.TryGetProperty("access_token", out var token))
        {
            return $"HTTP {(int)response.StatusCode}, no access_token";
        }

        string[] parts = token.GetString()!.Split('.');
        if (parts.Length != 3)
        {
            return $"{parts.Length} segments (not a plain JWS)";
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var h = header.RootElement;
        var p = payload.RootElement;
        var text = new StringBuilder();
        text.Append($"JWS alg={h.GetProperty("alg").GetString()}");
        text.Append(h.TryGetProperty("typ", out var typ) ? $" typ={typ.GetString()}" : "");
        text.Append(p.TryGetProperty("aud", out var aud) ? $" aud={aud}" : "");
        text.Append(p.TryGetProperty("scope", out var scope) ? $" scope={scope}" : "");
        text.Append($" ({token.GetString()!.Length} chars, claims: {string.Join(' ', p.EnumerateObject().Select(o => o.Name))})");
        return text.ToString();
    }
}
