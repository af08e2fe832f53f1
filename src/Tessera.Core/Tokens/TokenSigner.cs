using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tessera.Keys;

namespace Tessera.Tokens;

/// <summary>
/// Encodes and signs access tokens as compact JWS (<c>typ: at+jwt</c>). The header segment is
/// computed once per key and reused; the payload is written with <see cref="Utf8JsonWriter"/>.
/// </summary>
public sealed class TokenSigner
{
    // JSON here is never embedded in HTML, so '+' in "at+jwt" need not be escaped.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ConditionalWeakTable<SigningKey, byte[]> _headers = new();

    /// <summary>Signs <paramref name="claims"/> with <paramref name="key"/> and returns the compact token.</summary>
    public string Sign(AccessTokenClaims claims, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(key);

        byte[] header = _headers.GetValue(key, static k => Encoding.ASCII.GetBytes(EncodeHeader(k)));

        var payload = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(payload, WriterOptions))
        {
            WritePayload(writer, claims);
        }

        int payloadB64Length = Base64Url.GetEncodedLength(payload.WrittenCount);
        int signingInputLength = header.Length + 1 + payloadB64Length;
        int signatureB64Length = Base64Url.GetEncodedLength(key.SignatureSize);
        int total = signingInputLength + 1 + signatureB64Length;

        byte[] rented = ArrayPool<byte>.Shared.Rent(total + key.SignatureSize);
        try
        {
            Span<byte> buffer = rented.AsSpan(0, total);
            header.CopyTo(buffer);
            buffer[header.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(payload.WrittenSpan, buffer.Slice(header.Length + 1), out _, out _);

            Span<byte> signature = rented.AsSpan(total, key.SignatureSize);
            int written = key.Sign(buffer[..signingInputLength], signature);
            buffer[signingInputLength] = (byte)'.';
            Base64Url.EncodeToUtf8(signature[..written], buffer[(signingInputLength + 1)..], out _, out int sigChars);
            return Encoding.ASCII.GetString(buffer[..(signingInputLength + 1 + sigChars)]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    private static string EncodeHeader(SigningKey key)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", key.Algorithm.Name());
            writer.WriteString("kid", key.KeyId);
            writer.WriteString("typ", "at+jwt");
            writer.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.WrittenSpan);
    }

    private static void WritePayload(Utf8JsonWriter writer, AccessTokenClaims claims)
    {
        writer.WriteStartObject();
        writer.WriteString("iss", claims.Issuer);
        writer.WriteString("sub", claims.Subject);
        if (claims.Audience.Count == 1)
        {
            writer.WriteString("aud", claims.Audience[0]);
        }
        else
        {
            writer.WriteStartArray("aud");
            foreach (var aud in claims.Audience)
            {
                writer.WriteStringValue(aud);
            }

            writer.WriteEndArray();
        }

        writer.WriteNumber("exp", claims.ExpiresAt);
        writer.WriteNumber("nbf", claims.NotBefore);
        writer.WriteNumber("iat", claims.IssuedAt);
        writer.WriteString("jti", claims.JwtId);
        writer.WriteString("scope", string.Join(' ', claims.Scope));
        if (claims.ScopesArray)
        {
            writer.WriteStartArray("scopes");
            foreach (string scope in claims.Scope)
            {
                writer.WriteStringValue(scope);
            }

            writer.WriteEndArray();
        }
        if (claims.ClientId is not null)
        {
            writer.WriteString("client_id", claims.ClientId);
        }

        if (claims.TaskId is not null)
        {
            writer.WriteString("task_id", claims.TaskId);
        }

        if (claims.OrchId is not null)
        {
            writer.WriteString("orch_id", claims.OrchId);
        }

        if (claims.AppId is not null)
        {
            writer.WriteString("app_id", claims.AppId);
        }

        if (claims.DelegationChain.Count > 0)
        {
            DelegationChain.WriteActor(writer, claims.DelegationChain);
            writer.WritePropertyName("delegation_chain");
            DelegationChain.Write(writer, claims.DelegationChain);
            writer.WriteString("chain_hash", claims.ChainHash ?? DelegationChain.Hash(claims.DelegationChain));
        }

        writer.WriteEndObject();
    }
}
