using System.Buffers.Text;
using System.Text.Json;

namespace Tessera.Client;

/// <summary>Reads claims of the SDK's own tokens without verifying them: they only label the token for routing, never authorize anything.</summary>
internal static class TokenPayload
{
    /// <summary>The token's first <c>aud</c> (a string or an array), or empty when it has none or is not a JWT.</summary>
    public static string Audience(string token)
    {
        string[] parts = token.Split('.');
        if (parts.Length != 3)
        {
            return string.Empty;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            if (payload.RootElement.ValueKind != JsonValueKind.Object || !payload.RootElement.TryGetProperty("aud", out var aud))
            {
                return string.Empty;
            }

            return aud.ValueKind switch
            {
                JsonValueKind.String => aud.GetString() ?? string.Empty,
                JsonValueKind.Array when aud.GetArrayLength() > 0 && aud[0].ValueKind == JsonValueKind.String => aud[0].GetString() ?? string.Empty,
                _ => string.Empty,
            };
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return string.Empty;
        }
    }
}
