using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Audit;
using Tessera.Broker.Admin;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary><c>GET /v1/audit/events</c> (filtered pages) and <c>GET /v1/audit/export</c> (JSON Lines with signed checkpoints).</summary>
internal static class AuditEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/v1/audit").RequireAuthorization(BrokerPolicies.Scope("admin:audit:*"));
        audit.MapGet("/events", EventsAsync);
        audit.MapGet("/export", ExportAsync);
    }

    private static async Task EventsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var q = context.Request.Query;
        var query = new AuditQuery
        {
            AgentId = Text(q, "agent_id"),
            TaskId = Text(q, "task_id"),
            EventType = Text(q, "event_type"),
            Outcome = Text(q, "outcome"),
        };
        string? problem = null;
        if (q.TryGetValue("since", out var since) && !TryTime(since, out long sinceMs))
        {
            problem = "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z";
        }
        else if (q.ContainsKey("since"))
        {
            TryTime(since, out sinceMs);
            query = query with { SinceMs = sinceMs };
        }

        if (problem is null && q.TryGetValue("until", out var until))
        {
            if (TryTime(until, out long untilMs))
            {
                query = query with { UntilMs = untilMs };
            }
            else
            {
                problem = "until must be an RFC 3339 time, for example 2026-01-31T12:00:00Z";
            }
        }

        if (problem is null && q.TryGetValue("limit", out var limit))
        {
            if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out int l) && l is >= 1 and <= 1000)
            {
                query = query with { Limit = l };
            }
            else
            {
                problem = "limit must be between 1 and 1000";
            }
        }

        if (problem is null && q.TryGetValue("offset", out var offset))
        {
            if (int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out int o))
            {
                query = query with { Offset = o };
            }
            else
            {
                problem = "offset must be a non-negative integer";
            }
        }

        if (problem is not null)
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, problem).ExecuteAsync(context);
            return;
        }

        var (events, total) = await services.GetRequiredService<IAuditStore>().QueryAsync(query, context.RequestAborted);
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("events");
        foreach (var e in events)
        {
            WriteEvent(writer, e, withFields: true);
        }

        writer.WriteEndArray();
        writer.WriteNumber("total", total);
        writer.WriteNumber("offset", query.Offset);
        writer.WriteNumber("limit", query.Limit);
        writer.WriteEndObject();
    }

    private static async Task ExportAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<IAuditStore>();

        // Checkpoints are read before the events, so every event a checkpoint names is in the export.
        var checkpoints = await store.ListCheckpointsAsync(context.RequestAborted);
        await services.GetRequiredService<AuditLog>().RecordAsync(
            AuditDraft.Of(services.GetRequiredService<TimeProvider>(), AuditEventTypes.AuditExported, Tessera.Audit.AuditOutcomes.Success, $"audit exported | checkpoints={checkpoints.Count}"),
            cancellationToken: context.RequestAborted);
        context.Response.ContentType = "application/x-ndjson";
        var output = context.Response.Body;
        long after = 0;
        while (true)
        {
            var page = await store.ReadAsync(after, 1000, context.RequestAborted);
            foreach (var e in page)
            {
                await WriteLineAsync(output, w => WriteEvent(w, e), context.RequestAborted);
                after = e.Sequence;
            }

            if (page.Count < 1000)
            {
                break;
            }
        }

        foreach (var checkpoint in checkpoints)
        {
            await WriteLineAsync(output, w => WriteCheckpoint(w, checkpoint), context.RequestAborted);
        }
    }

    /// <summary>
    /// One event as the API and the export write it (empty optional fields omitted, as the seed broker
    /// does). <c>detail</c> is the stored text, as hashed; the events API adds <c>detail_message</c> and
    /// <c>detail_fields</c>, the same detail split into its message and named fields, values unescaped.
    /// </summary>
    internal static void WriteEvent(Utf8JsonWriter writer, AuditEvent e, bool withFields = false)
    {
        writer.WriteStartObject();
        writer.WriteNumber("seq", e.Sequence);
        writer.WriteString("id", e.Id);
        writer.WriteString("timestamp", Revocation.RevocationEndpoints.Rfc3339(e.TimestampMs));
        writer.WriteString("event_type", e.EventType);
        Optional(writer, "agent_id", e.AgentId);
        Optional(writer, "task_id", e.TaskId);
        Optional(writer, "orch_id", e.OrchId);
        writer.WriteString("detail", e.Detail);
        Optional(writer, "resource", e.Resource);
        Optional(writer, "outcome", e.Outcome);
        if (e.DelegDepth != 0)
        {
            writer.WriteNumber("deleg_depth", e.DelegDepth);
        }

        Optional(writer, "deleg_chain_hash", e.DelegChainHash);
        writer.WriteString("hash", e.Hash);
        writer.WriteString("prev_hash", e.PrevHash);
        if (withFields)
        {
            var (message, fields) = AuditDetailFields.Parse(e.Detail);
            writer.WriteString("detail_message", message);
            writer.WriteStartObject("detail_fields");
            foreach (var (name, value) in fields)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    internal static void WriteCheckpoint(Utf8JsonWriter writer, AuditCheckpoint c)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("checkpoint");
        writer.WriteNumber("seq", c.Sequence);
        writer.WriteString("hash", c.Hash);
        writer.WriteString("kid", c.KeyId);
        writer.WriteString("alg", c.Algorithm);
        writer.WriteString("signature", c.Signature);
        writer.WriteString("created_at", Revocation.RevocationEndpoints.Rfc3339(c.CreatedAtMs));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static async Task WriteLineAsync(Stream output, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        buffer.WriteByte((byte)'\n');
        await output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
    }

    private static string? Text(IQueryCollection query, string name)
    {
        string? value = query[name];
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static bool TryTime(string? text, out long ms)
    {
        ms = 0;
        if (text is null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) || !text.Contains('T', StringComparison.Ordinal))
        {
            return false;
        }

        ms = time.ToUnixTimeMilliseconds();
        return true;
    }
}
