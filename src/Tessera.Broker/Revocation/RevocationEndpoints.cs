using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// <c>POST /v1/revoke</c> (admin) and the revocation feed for verifiers: <c>GET /v1/revocations</c>
/// (cursor pages) and <c>GET /v1/revocations/stream</c> (Server-Sent Events, pushed as entries commit).
/// The feed carries identifiers only (jti, agent and task ids), never tokens. It needs a platform's
/// client credentials or an admin token unless the operator made it public (<see cref="RevocationFeedAccess"/>).
/// Requests are checked by <see cref="RevocationValidation"/>; the revocation is done by
/// <see cref="RevocationLifecycle"/>, the stream written by <see cref="RevocationStream"/>.
/// </summary>
internal static class RevocationEndpoints
{
    private const int StreamRetryAfterSeconds = 5;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/revoke", RevokeAsync).RequireAuthorization(BrokerPolicies.Scope("admin:revoke:*"))
            .WithName("revoke")
            .WithSummary("Revoke tokens at one of five levels")
            .WithDescription("Requires an admin token holding admin:revoke:*. From then on a token is refused when, by level: token, its jti is the target; agent, its sub is the target (the agent is also marked revoked for good, and the target admin is refused); task, its task_id is the target (and no agent registers with it while the entry lives); chain, its delegation_chain starts with a hop by the target; app, it descends from the target app (which is also deregistered). The entry lives until every token it can match has expired and appears in the revocation feed.")
            .WithTags("Revocation")
            .ProducesErrors(ErrorCatalog.InvalidRequest);

        var feed = app.MapGroup("/v1/revocations").RequireAuthorization(BrokerPolicies.RevocationFeed);
        feed.MapGet("", ListAsync)
            .WithName("listRevocations")
            .WithSummary("Revocation feed, one page after a cursor")
            .WithDescription("Live (unexpired) revocation entries with seq greater than since, in seq order, including those of token release and renewal. Page with since=next_cursor while has_more is true, then follow /v1/revocations/stream. keys_version changes when the key set changes: refetch the JWKS then. Authentication: a platform's client credentials (HTTP Basic) or an admin token, none when the operator made the feed public.")
            .WithTags("Revocation")
            .Produces<RevocationPageView>(StatusCodes.Status200OK)
            .ProducesErrors(ErrorCatalog.InvalidRequest);
        feed.MapGet("/stream", StreamAsync)
            .WithName("streamRevocations")
            .WithSummary("Revocation feed as Server-Sent Events")
            .WithDescription("Starts after since (default 0: every live entry is replayed), or after Last-Event-ID when that is a larger non-negative integer; limit is validated but not used. Sends event: revocation (id: the entry's seq, data: the entry object of GET /v1/revocations) as entries commit, event: keys when the key set changed, event: routes when a platform's scopes file changed (a platform's stream gets only its own), and a heartbeat comment every 15 seconds. Open streams per client address are limited.")
            .WithTags("Revocation")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesErrors(ErrorCatalog.InvalidRequest, ErrorCatalog.TooManyStreams);
    }

    private static async Task<Results<Ok<RevokeResponse>, ProblemResult>> RevokeAsync(
        RequestBody<RevokeRequest> body, [AsParameters] RevocationServices services, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (RevocationValidation.CheckRevokeRequest(request) is { } invalid)
        {
            return invalid.ToResult();
        }

        string reason = RevocationValidation.Reason(request.Reason);
        return TypedResults.Ok(await RevocationLifecycle.RevokeAsync(request.Level!, request.Target!, reason, services, cancellationToken));
    }

    private static async Task<Results<RevocationPage, ProblemResult>> ListAsync(
        [FromQuery(Name = "since")] string? since, [FromQuery(Name = "limit")] string? limit,
        TimeProvider time, IRevocationStore store, RevocationFeed feed, CancellationToken cancellationToken)
    {
        if (RevocationValidation.CheckCursor(since, limit, out long after, out int pageSize) is { } invalid)
        {
            return invalid.ToResult();
        }

        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var entries = await store.ListAsync(after, now, pageSize + 1, cancellationToken);
        return new RevocationPage(entries, after, pageSize, feed.KeysVersion);
    }

    private static async Task<Results<EmptyHttpResult, ProblemResult>> StreamAsync(
        HttpContext context, [FromQuery(Name = "since")] string? since, [FromQuery(Name = "limit")] string? limit,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventId, [AsParameters] RevocationStreamServices services)
    {
        var access = context.Features.GetRequiredFeature<CredentialCheck>();
        if (RevocationValidation.CheckCursor(since, limit, out long cursor, out _) is { } invalid)
        {
            return invalid.ToResult();
        }

        if (long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out long lastSeen) && lastSeen > cursor)
        {
            cursor = lastSeen;
        }

        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        using var slot = services.Gate.TryEnter(address);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = StreamRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return new ProblemResult(ErrorCatalog.TooManyStreams, "too many open revocation streams", $"keep one stream per verifier; wait {StreamRetryAfterSeconds} seconds before retrying");
        }

        // End with the client or with the broker: an open stream must not hold up shutdown.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, services.Lifetime.ApplicationStopping);
        await RevocationStream.WriteAsync(context, cursor, access.PlatformId, services, linked.Token);
        return TypedResults.Empty;
    }

    internal static void WriteEntry(Utf8JsonWriter writer, RevocationRecord entry)
    {
        writer.WriteStartObject();
        writer.WriteNumber("seq", entry.Sequence);
        writer.WriteString("level", entry.Level);
        writer.WriteString("target", entry.Target);
        writer.WriteString("reason", entry.Reason);
        writer.WriteString("revoked_at", Rfc3339(entry.RevokedAtMs));
        writer.WriteString("expires_at", Rfc3339(entry.ExpiresAtMs));
        writer.WriteEndObject();
    }

    internal static string Rfc3339(long ms) => Tessera.Time.Timestamps.Rfc3339Milliseconds(ms);
}
