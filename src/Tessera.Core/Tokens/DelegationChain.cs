using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tessera.Tokens;

/// <summary>Canonical encoding and hash of a delegation chain, and its JSON form inside tokens.</summary>
public static class DelegationChain
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>SHA-256 (lowercase hex) of the chain's canonical JSON (fields in fixed order, no whitespace).</summary>
    public static string Hash(IReadOnlyList<DelegationRecord> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            Write(writer, chain);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Writes the chain as a JSON array of <c>{agent, scope, delegated_at, signature, kid}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<DelegationRecord> chain)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(chain);
        writer.WriteStartArray();
        foreach (var hop in chain)
        {
            writer.WriteStartObject();
            writer.WriteString("agent", hop.Agent);
            writer.WriteStartArray("scope");
            foreach (var s in hop.Scope)
            {
                writer.WriteStringValue(s);
            }

            writer.WriteEndArray();
            writer.WriteString("delegated_at", hop.DelegatedAt);
            writer.WriteString("signature", hop.Signature);
            writer.WriteString("kid", hop.KeyId);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the RFC 8693 <c>act</c> claim: the most recent delegator outermost, each earlier one
    /// nested inside it.
    /// </summary>
    public static void WriteActor(Utf8JsonWriter writer, IReadOnlyList<DelegationRecord> chain)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(chain);
        writer.WritePropertyName("act");
        for (int i = chain.Count - 1; i >= 0; i--)
        {
            writer.WriteStartObject();
            writer.WriteString("sub", chain[i].Agent);
            if (i > 0)
            {
                writer.WritePropertyName("act");
            }
        }

        for (int i = 0; i < chain.Count; i++)
        {
            writer.WriteEndObject();
        }
    }
}
