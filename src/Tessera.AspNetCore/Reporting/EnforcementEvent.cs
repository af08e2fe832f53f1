using System.Buffers;
using System.Text.Json;

namespace Tessera.AspNetCore.Reporting;

/// <summary>A run of identical consecutive outcomes, as one event of a report.</summary>
internal struct EnforcementEvent(EnforcementOutcome outcome, long atUnixMs)
{
    public readonly EnforcementOutcome Outcome = outcome;

    /// <summary>When the first outcome of the run happened.</summary>
    public readonly long AtUnixMs = atUnixMs;

    public int Count = 1;

    /// <summary>The report body: <c>{"events":[{agent_id, outcome, error_code?, method, route, count, at}]}</c>.</summary>
    public static byte[] Serialize(ReadOnlySpan<EnforcementEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (events.Length * 160));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events"u8);
            foreach (ref readonly var e in events)
            {
                writer.WriteStartObject();
                writer.WriteString("agent_id"u8, e.Outcome.AgentId);
                writer.WriteString("outcome"u8, e.Outcome.Allowed ? "allowed"u8 : "denied"u8);
                if (e.Outcome.ErrorCode is { } code)
                {
                    writer.WriteString("error_code"u8, code);
                }

                writer.WriteString("method"u8, e.Outcome.Method);
                writer.WriteString("route"u8, e.Outcome.Route);
                writer.WriteNumber("count"u8, e.Count);
                writer.WriteNumber("at"u8, e.AtUnixMs);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
