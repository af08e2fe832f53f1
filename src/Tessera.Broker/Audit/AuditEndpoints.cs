using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
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
        var audit = app.MapGroup("/v1/audit").RequireAuthorization(BrokerPolicies.Scope("admin:audit:*")).WithTags("Audit");
        audit.MapGet("/events", EventsAsync)
            .WithName("auditEvents")
            .WithSummary("Audit events, filtered and paged")
            .WithDescription("Events matching every given filter, oldest first, with the total number of matches. Text filters are exact and an empty value is no filter; since and until are inclusive RFC 3339 date-times containing T (no offset means UTC). Not audited.")
            .Produces<AuditEventPage>(StatusCodes.Status200OK, "application/json")
            .ProducesErrors(ErrorCatalog.InvalidRequest);
        audit.MapGet("/export", ExportAsync)
            .WithName("auditExport")
            .WithSummary("The whole audit chain as JSON Lines")
            .WithDescription("One event per line in seq order, then one {\"checkpoint\": ...} line per signed checkpoint. The checkpoints are read before the events, so every checkpoint names an event in the export. Input for tessera audit verify --from-export. Audited.")
            .Produces<string>(StatusCodes.Status200OK, "application/x-ndjson");
    }

    private static async Task<Results<EventPageResult, ProblemResult>> EventsAsync(
        IAuditStore store,
        [FromQuery(Name = "agent_id")] string? agentId,
        [FromQuery(Name = "task_id")] string? taskId,
        [FromQuery(Name = "event_type")] string? eventType,
        [FromQuery(Name = "outcome")] string? outcome,
        [FromQuery(Name = "since")] string? since,
        [FromQuery(Name = "until")] string? until,
        [FromQuery(Name = "limit")] string? limit,
        [FromQuery(Name = "offset")] string? offset,
        CancellationToken cancellationToken)
    {
        var (query, failure) = AuditValidation.CheckQuery(agentId, taskId, eventType, outcome, since, until, limit, offset);
        if (failure is not null)
        {
            return failure.ToResult();
        }

        var (events, total) = await store.QueryAsync(query, cancellationToken);
        return new EventPageResult(events, total, query);
    }

    /// <summary>Streams the chain page by page (JSON Lines), then the checkpoints.</summary>
    private static async Task ExportAsync(HttpContext context, IAuditStore store, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        // Checkpoints are read before the events, so every event a checkpoint names is in the export.
        var checkpoints = await store.ListCheckpointsAsync(cancellationToken);
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.AuditExported, Tessera.Audit.AuditOutcomes.Success, $"audit exported | checkpoints={checkpoints.Count}"),
            cancellationToken: cancellationToken);
        context.Response.ContentType = "application/x-ndjson";
        var output = context.Response.Body;
        long after = 0;
        while (true)
        {
            var page = await store.ReadAsync(after, 1000, cancellationToken);
            foreach (var e in page)
            {
                await WriteLineAsync(output, w => WriteEvent(w, e), cancellationToken);
                after = e.Sequence;
            }

            if (page.Count < 1000)
            {
                break;
            }
        }

        foreach (var checkpoint in checkpoints)
        {
            await WriteLineAsync(output, w => WriteCheckpoint(w, checkpoint), cancellationToken);
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

    /// <summary>A page of events, written by hand event by event; described by <see cref="AuditEventPage"/>.</summary>
    private sealed class EventPageResult(IReadOnlyList<AuditEvent> events, long total, AuditQuery query) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
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
    }
}
