using System.Buffers.Text;
using System.Text.Json;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// Reads <c>iss</c> and <c>aud</c> from a token's payload WITHOUT verifying anything, only to word
/// a refusal (which calls them unverified unless the signature was checked). Never a decision.
/// </summary>
internal static class UnverifiedClaims
{
    /// <summary>The payload's <c>iss</c> (null when absent or not a string) and <c>aud</c> (a string or an array of strings).</summary>
    public static bool TryRead(string token, int maxTokenLength, out string? issuer, out IReadOnlyList<string> audience)
    {
        issuer = null;
        audience = [];
        if (token.Length > maxTokenLength)
        {
            return false;
        }

        int first = token.IndexOf('.', StringComparison.Ordinal);
        int second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (second < 0)
        {
            return false;
        }

        var segment = token.AsSpan(first + 1, second - first - 1);
        byte[] bytes = new byte[Base64Url.GetMaxDecodedLength(segment.Length)];
        if (!Base64Url.TryDecodeFromChars(segment, bytes, out int length))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (document.RootElement.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String)
            {
                issuer = iss.GetString();
            }

            if (document.RootElement.TryGetProperty("aud", out var aud))
            {
                audience = aud.ValueKind switch
                {
                    JsonValueKind.String => [aud.GetString()!],
                    JsonValueKind.Array => [.. aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Take(9).Select(a => a.GetString()!)],
                    _ => [],
                };
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }
}
