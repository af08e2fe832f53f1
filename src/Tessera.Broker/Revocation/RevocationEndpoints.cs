using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Metrics;
using Tessera.Errors;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// <c>POST /v1/revoke</c> (admin) and the revocation feed for verifiers: <c>GET /v1/revocations</c>
/// (cursor pages) and <c>GET /v1/revocations/stream</c> (Server-Sent Events, pushed as entries commit).
/// The feed carries identifiers only (jti, agent and task ids), never tokens. It needs a platform's
/// client credentials or an admin token unless the operator made it public (<see cref="RevocationFeedAccess"/>).
/// </summary>
internal static class RevocationEndpoints
{
    private const int StreamRetryAfterSeconds = 5;
    private const long HeartbeatMs = 15_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/revoke", RevokeAsync).RequireAuthorization(BrokerPolicies.Scope("admin:revoke:*"));

        var feed = app.MapGroup("/v1/revocations").RequireAuthorization(BrokerPolicies.RevocationFeed);
        feed.MapGet("", ListAsync);
        feed.MapGet("/stream", StreamAsync);
    }

    private static async Task RevokeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.RevokeRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var request = body.Value!;
        if (string.IsNullOrEmpty(request.Level) || string.IsNullOrEmpty(request.Target))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "level and target are required").ExecuteAsync(context);
            return;
        }

        if (!RevocationLevel.IsValid(request.Level))
        {
            string shown = request.Level.Length > 32 || request.Level.Any(char.IsControl) ? "(unprintable)" : request.Level;
            await new ProblemResult(ErrorCatalog.InvalidRequest, $"invalid revocation level: {shown}", "use token, agent, task, chain or app").ExecuteAsync(context);
            return;
        }

        if (request.Target.Length > 512 || request.Target.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "target must be at most 512 characters without spaces").ExecuteAsync(context);
            return;
        }

        if (request.Level == RevocationLevel.Agent && request.Target == "admin")
        {
            await new ProblemResult(ErrorCatalog.InvalidRequest, "admin tokens are revoked one by one (level token, target the jti), not as an agent", "revoking every admin token would lock the operator out").ExecuteAsync(context);
            return;
        }

        string reason = string.IsNullOrWhiteSpace(request.Reason) ? "revoked by operator" : new string([.. request.Reason.Take(200).Where(c => !char.IsControl(c))]);

        if (request.Level == RevocationLevel.Agent)
        {
            // The entry ends only tokens issued before it and leaves the feed once they have expired;
            // the status keeps the agent revoked, whichever kind it is, so it gets no new tokens. Set
            // first: an issuer that reads the status after its iat then either sees it or issued
            // before the entry's revoked_at.
            await services.GetRequiredService<Tessera.Storage.Agents.IAgentStore>().SetStatusAsync(request.Target, "revoked", context.RequestAborted);
            var clients = services.GetRequiredService<Tessera.Storage.Clients.IClientStore>();
            if (await clients.FindByEntityIdAsync(request.Target, context.RequestAborted) is { Kind: Credentials.CredentialExchange.AgentKind, Status: not "revoked" })
            {
                await clients.TransitionAsync(request.Target, ["active", "suspended"], "revoked", reason, time.GetUtcNow().ToUnixTimeMilliseconds(), context.RequestAborted);
            }
        }

        // Kept until every token it could match has expired: nothing the broker issued lives longer than the ceiling.
        long expires = time.GetUtcNow().AddSeconds(options.LongestTokenLifetimeSeconds).ToUnixTimeMilliseconds();
        var (record, created) = await services.GetRequiredService<RevocationList>().RevokeAsync(request.Level, request.Target, reason, expires, context.RequestAborted);
        if (request.Level == RevocationLevel.App)
        {
            // Revoking an app at this level deregisters it too: it must not mint tokens that are born dead.
            await services.GetRequiredService<Tessera.Storage.Clients.IClientStore>().SetStatusAsync(request.Target, "inactive", time.GetUtcNow().ToUnixTimeMilliseconds(), context.RequestAborted);
        }

        services.GetRequiredService<BrokerMetrics>().TokensRevoked.WithLabels(request.Level).Inc();
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenRevoked, Tessera.Audit.AuditOutcomes.Success, $"revoked at level={request.Level} target={request.Target} | seq={record.Sequence} | new={created} | reason={reason}", request.Level is RevocationLevel.Agent or RevocationLevel.Chain ? request.Target : null, request.Level == RevocationLevel.Task ? request.Target : null),
            cancellationToken: context.RequestAborted);
        await Results.Json(new RevokeResponse(true, request.Level, request.Target, created ? 1 : 0, record.Sequence), BrokerJson.Default.RevokeResponse).ExecuteAsync(context);
    }

    private static async Task ListAsync(HttpContext context)
    {
        var services = context.RequestServices;
        if (!TryCursor(context, out long since, out int limit, out var problem))
        {
            await problem!.ExecuteAsync(context);
            return;
        }

        long now = services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        var entries = await services.GetRequiredService<IRevocationStore>().ListAsync(since, now, limit + 1, context.RequestAborted);
        bool more = entries.Count > limit;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("entries");
        long cursor = since;
        for (int i = 0; i < Math.Min(limit, entries.Count); i++)
        {
            WriteEntry(writer, entries[i]);
            cursor = entries[i].Sequence;
        }

        writer.WriteEndArray();
        writer.WriteString("next_cursor", cursor.ToString(CultureInfo.InvariantCulture));
        writer.WriteBoolean("has_more", more);
        writer.WriteNumber("keys_version", services.GetRequiredService<RevocationFeed>().KeysVersion);
        writer.WriteEndObject();
    }

    private static async Task StreamAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var access = context.Features.GetRequiredFeature<CredentialCheck>();

        if (!TryCursor(context, out long cursor, out _, out var problem))
        {
            await problem!.ExecuteAsync(context);
            return;
        }

        if (long.TryParse(context.Request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out long lastEventId) && lastEventId > cursor)
        {
            cursor = lastEventId;
        }

        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        using var slot = services.GetRequiredService<RevocationStreamGate>().TryEnter(address);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = StreamRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await new ProblemResult(ErrorCatalog.TooManyStreams, "too many open revocation streams", $"keep one stream per verifier; wait {StreamRetryAfterSeconds} seconds before retrying").ExecuteAsync(context);
            return;
        }

        var feed = services.GetRequiredService<RevocationFeed>();
        var broadcast = services.GetRequiredService<RevocationBroadcast>();
        var store = services.GetRequiredService<IRevocationStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var metrics = services.GetRequiredService<BrokerMetrics>();

        // End with the client or with the broker: an open stream must not hold up shutdown.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(
            context.RequestAborted, services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping);
        var aborted = linked.Token;

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var output = context.Response.Body;
        long keysVersion = feed.KeysVersion;
        long routesSeen = feed.RoutesSequence;
        metrics.RevocationFeedSubscribers.Inc();
        try
        {
            await WriteAsync(output, ": tessera revocation stream\nretry: 1000\n\n", aborted);
            long heartbeatAt = Environment.TickCount64 + HeartbeatMs;
            while (!aborted.IsCancellationRequested)
            {
                // The snapshot is taken first: whatever commits after it arrives with its successor.
                var snapshot = broadcast.Current;
                if (cursor < snapshot.CoveredAfter)
                {
                    // Catching up (on connect, or after falling further behind than the frames kept) is
                    // the only time a stream reads the store; once level, it only copies rendered frames.
                    var entries = await store.ListAsync(cursor, time.GetUtcNow().ToUnixTimeMilliseconds(), 500, aborted);
                    foreach (var entry in entries)
                    {
                        await output.WriteAsync(RevocationBroadcast.Render(entry), aborted);
                        cursor = entry.Sequence;
                    }

                    if (entries.Count == 500)
                    {
                        await output.FlushAsync(aborted);
                        continue;
                    }

                    // Everything live in the store after the cursor was just sent, which includes
                    // every entry the snapshot no longer holds.
                    if (snapshot.CoveredAfter != long.MaxValue)
                    {
                        cursor = Math.Max(cursor, snapshot.CoveredAfter);
                    }
                }

                long now = time.GetUtcNow().ToUnixTimeMilliseconds();
                var frames = snapshot.Frames;
                for (int i = snapshot.FirstAfter(cursor); i < frames.Length; i++)
                {
                    if (frames[i].ExpiresAtMs > now)
                    {
                        await output.WriteAsync(frames[i].Bytes, aborted);
                    }

                    cursor = frames[i].Sequence;
                }

                if (feed.KeysVersion != keysVersion)
                {
                    keysVersion = feed.KeysVersion;
                    await WriteAsync(output, $"event: keys\ndata: {{\"keys_version\":{keysVersion}}}\n\n", aborted);
                }

                if (feed.RoutesSequence != routesSeen)
                {
                    (string events, routesSeen) = RouteEvents(feed, routesSeen, access.PlatformId);
                    if (events.Length > 0)
                    {
                        await WriteAsync(output, events, aborted);
                    }
                }

                await output.FlushAsync(aborted);

                // One wait per stream, with no timer left behind when the snapshot changes first.
                long wait = Math.Max(0, heartbeatAt - Environment.TickCount64);
                await snapshot.Next.WaitAsync(TimeSpan.FromMilliseconds(wait), aborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!snapshot.Next.IsCompleted && !aborted.IsCancellationRequested)
                {
                    await WriteAsync(output, ": heartbeat\n\n", aborted);
                    await output.FlushAsync(aborted);
                    heartbeatAt = Environment.TickCount64 + HeartbeatMs;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The subscriber went away.
        }
        finally
        {
            metrics.RevocationFeedSubscribers.Dec();
        }
    }

    /// <summary>
    /// The <c>routes</c> events after <paramref name="seen"/>, and the new position. A platform's
    /// stream gets only its own platform's: another platform's ids are not its business.
    /// </summary>
    private static (string Events, long Seen) RouteEvents(RevocationFeed feed, long seen, string? platformId)
    {
        var text = new System.Text.StringBuilder();
        foreach (var change in feed.RouteChangesAfter(seen))
        {
            seen = change.Sequence;
            if (platformId is null || string.Equals(platformId, change.PlatformId, StringComparison.Ordinal))
            {
                // Platform ids are lowercase letters, digits and hyphens: nothing to escape.
                text.Append(CultureInfo.InvariantCulture, $"event: routes\ndata: {{\"platform_id\":\"{change.PlatformId}\",\"version\":{change.Version}}}\n\n");
            }
        }

        return (text.ToString(), seen);
    }

    private static bool TryCursor(HttpContext context, out long since, out int limit, out ProblemResult? problem)
    {
        since = 0;
        limit = 500;
        problem = null;
        var query = context.Request.Query;
        if (query.TryGetValue("since", out var s) && !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out since))
        {
            problem = new ProblemResult(ErrorCatalog.InvalidRequest, "since must be a cursor returned as next_cursor (a non-negative integer)");
            return false;
        }

        if (query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            problem = new ProblemResult(ErrorCatalog.InvalidRequest, "limit must be between 1 and 1000");
            return false;
        }

        return true;
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

    private static Task WriteAsync(Stream output, string text, CancellationToken cancellationToken) =>
        output.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
}
