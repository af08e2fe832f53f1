using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// One reader for every revocation stream: on each commit it reads the new entries from the store
/// once, renders their Server-Sent Events frames once, and publishes them in an immutable snapshot.
/// Streams copy bytes out of the snapshot; none of them queries the store after catching up, so a
/// revocation costs one query however many verifiers follow the feed.
/// </summary>
internal sealed partial class RevocationBroadcast(IRevocationStore store, RevocationFeed feed, TimeProvider time, ILogger<RevocationBroadcast> logger) : BackgroundService
{
    /// <summary>Most frames kept; a subscriber further behind catches up from the store.</summary>
    internal const int MaxFrames = 20_000;

    private Snapshot _current = Snapshot.Initial();

    /// <summary>The latest published frames.</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>Renders one entry as its SSE frame (<c>id</c>, <c>event: revocation</c>, <c>data</c>).</summary>
    public static byte[] Render(RevocationRecord entry)
    {
        var buffer = new ArrayBufferWriterStream();
        buffer.Append("id: " + entry.Sequence.ToString(CultureInfo.InvariantCulture) + "\nevent: revocation\ndata: ");
        using (var writer = new Utf8JsonWriter(buffer.Writer))
        {
            RevocationEndpoints.WriteEntry(writer, entry);
        }

        buffer.Append("\n\n");
        return buffer.Writer.WrittenSpan.ToArray();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long cursor = 0;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before reading, so a commit between the read and the wait still wakes us.
            var changed = feed.Changed;
            try
            {
                cursor = await PublishNewAsync(cursor, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed read must not stop the feed; the next signal or the retry reads again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReadFailed(logger, ex);
                changed = Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }

            try
            {
                await changed.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<long> PublishNewAsync(long cursor, CancellationToken cancellationToken)
    {
        var old = Current;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var added = new List<Frame>();
        while (true)
        {
            var page = await store.ListAsync(cursor, now, 1000, cancellationToken);
            foreach (var entry in page)
            {
                added.Add(new Frame(entry.Sequence, entry.ExpiresAtMs, Render(entry)));
                cursor = entry.Sequence;
            }

            if (page.Count < 1000)
            {
                break;
            }
        }

        long keysVersion = feed.KeysVersion;
        long routesSequence = feed.RoutesSequence;
        bool first = old.CoveredAfter == long.MaxValue;
        if (added.Count == 0 && keysVersion == old.KeysVersion && routesSequence == old.RoutesSequence && !first)
        {
            return cursor;
        }

        var frames = new List<Frame>(old.Frames.Length + added.Count);
        foreach (var frame in old.Frames)
        {
            if (frame.ExpiresAtMs > now)
            {
                frames.Add(frame);
            }
        }

        frames.AddRange(added);
        long coveredAfter = first ? 0 : old.CoveredAfter;
        if (frames.Count > MaxFrames)
        {
            coveredAfter = frames[frames.Count - MaxFrames - 1].Sequence;
            frames.RemoveRange(0, frames.Count - MaxFrames);
        }

        var next = new Snapshot([.. frames], coveredAfter, keysVersion, routesSequence, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _current, next);
        old.Publish();
        return cursor;
    }

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Reading new revocations for the feed's streams failed; will retry")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    /// <summary>One rendered entry.</summary>
    internal readonly record struct Frame(long Sequence, long ExpiresAtMs, byte[] Bytes);

    /// <summary>
    /// Frames in sequence order. Every live entry after <see cref="CoveredAfter"/> is among them
    /// (<see cref="long.MaxValue"/> before the first read: nothing is covered yet).
    /// </summary>
    internal sealed class Snapshot(Frame[] frames, long coveredAfter, long keysVersion, long routesSequence, TaskCompletionSource next)
    {
        public Frame[] Frames => frames;

        public long CoveredAfter => coveredAfter;

        public long KeysVersion => keysVersion;

        /// <summary>The feed's route-change counter when this snapshot was published: a newer one wakes the streams.</summary>
        public long RoutesSequence => routesSequence;

        /// <summary>Completes when a newer snapshot replaces this one.</summary>
        public Task Next => next.Task;

        public static Snapshot Initial() => new([], long.MaxValue, long.MinValue, 0, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Publish() => next.TrySetResult();

        /// <summary>Index of the first frame after <paramref name="sequence"/>.</summary>
        public int FirstAfter(long sequence)
        {
            int lo = 0, hi = frames.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (frames[mid].Sequence <= sequence)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }

    private sealed class ArrayBufferWriterStream
    {
        public System.Buffers.ArrayBufferWriter<byte> Writer { get; } = new(256);

        public void Append(string text) => Encoding.UTF8.GetBytes(text, Writer);
    }
}
