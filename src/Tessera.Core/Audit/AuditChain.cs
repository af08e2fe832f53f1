using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Audit;

/// <summary>
/// The audit hash chain. Each field is encoded as a 4-byte big-endian length followed by its
/// UTF-8 bytes, after a version tag, so no choice of field values can make two different events
/// encode alike (a plain separator could be forged by a field that contains it).
/// </summary>
public static class AuditChain
{
    /// <summary>The <c>prev_hash</c> of the first event.</summary>
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    private static readonly byte[] VersionTag = "tessera-audit-v1"u8.ToArray();

    /// <summary>Computes the hash of an event from its fields and <paramref name="prevHash"/>.</summary>
    public static string ComputeHash(
        string prevHash, string id, long timestampMs, string eventType, string agentId, string taskId, string orchId,
        string detail, string resource, string outcome, int delegDepth, string delegChainHash)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        buffer.Write(VersionTag);
        Append(buffer, prevHash);
        Append(buffer, id);
        Append(buffer, timestampMs.ToString(CultureInfo.InvariantCulture));
        Append(buffer, eventType);
        Append(buffer, agentId);
        Append(buffer, taskId);
        Append(buffer, orchId);
        Append(buffer, detail);
        Append(buffer, resource);
        Append(buffer, outcome);
        Append(buffer, delegDepth.ToString(CultureInfo.InvariantCulture));
        Append(buffer, delegChainHash);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Recomputes the hash of a stored event.</summary>
    public static string ComputeHash(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return ComputeHash(e.PrevHash, e.Id, e.TimestampMs, e.EventType, e.AgentId, e.TaskId, e.OrchId, e.Detail, e.Resource, e.Outcome, e.DelegDepth, e.DelegChainHash);
    }

    /// <summary>The id of the event at <paramref name="sequence"/>.</summary>
    public static string IdFor(long sequence) => "evt-" + sequence.ToString("D6", CultureInfo.InvariantCulture);

    private static void Append(ArrayBufferWriter<byte> buffer, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        var span = buffer.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        buffer.Advance(4 + length);
    }
}
