using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tessera.Broker.Metrics;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// What <c>GET /v1/revocations/stream</c> works with, bound from DI as one handler parameter (<c>[AsParameters]</c>).
/// </summary>
/// <param name="Feed">The key set's version and the platforms' route changes.</param>
/// <param name="Broadcast">The rendered frames of the entries committed lately.</param>
/// <param name="Store">The revocation entries, for catching up.</param>
/// <param name="Time">The clock.</param>
/// <param name="Metrics">The broker's metrics (open streams).</param>
/// <param name="Gate">The limit of open streams per client address.</param>
/// <param name="Lifetime">Ends every stream when the broker stops.</param>
internal readonly record struct RevocationStreamServices(
    RevocationFeed Feed,
    RevocationBroadcast Broadcast,
    IRevocationStore Store,
    TimeProvider Time,
    BrokerMetrics Metrics,
    RevocationStreamGate Gate,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime Lifetime);

/// <summary>
/// The Server-Sent Events of the revocation feed: written to the response as entries commit, until the
/// client or the broker goes away.
/// </summary>
internal static class RevocationStream
{
    private const long HeartbeatMs = 15_000;

    /// <summary>
    /// Streams every live entry after <paramref name="cursor"/>, then each new one, the key set's
    /// changes and (for <paramref name="platformId"/>, or every platform when null) route changes, with
    /// a heartbeat comment when nothing else was sent for a while.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, long cursor, string? platformId, RevocationStreamServices s, CancellationToken aborted)
    {
        var feed = s.Feed;
        var broadcast = s.Broadcast;
        var metrics = s.Metrics;
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
                    var entries = await s.Store.ListAsync(cursor, s.Time.GetUtcNow().ToUnixTimeMilliseconds(), 500, aborted);
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

                long now = s.Time.GetUtcNow().ToUnixTimeMilliseconds();
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
                    (string events, routesSeen) = RouteEvents(feed, routesSeen, platformId);
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

    private static Task WriteAsync(Stream output, string text, CancellationToken cancellationToken) =>
        output.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
}
