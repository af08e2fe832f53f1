using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>Reads and tampers with compact JWTs for attack tests.</summary>
public static class Jwt
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    public static string Encode(JsonObject json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));

    public static string WithPayload(string token, JsonObject payload)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Encode(payload)}.{parts[2]}";
    }

    public static string WithHeader(string token, JsonObject header)
    {
        var parts = token.Split('.');
        return $"{Encode(header)}.{parts[1]}.{parts[2]}";
    }

    private static JsonObject Decode(string segment) => JsonNode.Parse(Base64Url.DecodeFromChars(segment))!.AsObject();
}
