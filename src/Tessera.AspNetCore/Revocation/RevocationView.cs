using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Keys;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Revocation;

/// <summary>
/// The platform's live copy of the broker's revocations. It pages the feed from its cursor,
/// then follows the Server-Sent Events stream, so a revocation reaches it as the broker commits
/// it; on a dropped stream it polls from the last cursor and reconnects. A <c>keys</c> event (or,
/// after a gap, a changed <c>keys_version</c> in the polled page) makes the JWKS cache refetch at
/// once, even inside its unknown-kid cooldown. A <c>routes</c> event raises <see cref="RoutesChanged"/>.
/// Other events are ignored, so a newer broker may add some. A check is a hash probe. Memory is bounded whatever
/// the broker sends: entries are swept once past their <c>expires_at</c> plus the leeway, their
/// number is capped, and a feed line or page larger than its cap drops the connection.
/// </summary>
public sealed partial class RevocationView : IDisposable
{
    /// <summary>Longest line accepted on the stream (and longest event data), in bytes.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Largest polled page accepted, in bytes (as the JWKS document).</summary>
    public const int MaxPageBytes = 1024 * 1024;

    // Entries per polled page: at the broker's longest entry (512-character target, 200-character
    // reason, every character escaped) a page stays under MaxPageBytes.
    private const int PageLimit = 200;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromMinutes(5);

    private static readonly ConcurrentDictionary<RevocationView, byte> Views = new();

    // One gauge for the process: the stalest view (normally there is one scheme).
    private static readonly ObservableGauge<double> StalenessGauge = Diagnostics.TesseraMeter.Instance.CreateObservableGauge(
        "tessera.verifier.revocation_staleness",
        () => Views.Keys.Select(v => v.Staleness.TotalSeconds).DefaultIfEmpty(0).Max(),
        unit: "s",
        description: "Seconds since the platform last heard from the broker's revocation feed.");

    // One series per view, tagged with its broker.
    private static readonly ObservableGauge<long> EntriesGauge = Diagnostics.TesseraMeter.Instance.CreateObservableGauge(
        "tessera.verifier.revocation_entries",
        () => Views.Keys.Select(v => new Measurement<long>(v.Count, new KeyValuePair<string, object?>("tessera.authority", v._authority))),
        unit: "{entry}",
        description: "Revocation entries the platform holds (live, or expired since the last sweep).");

    private readonly RevocationSet _set;
    private readonly RevocationFeedClient _client;
    private readonly string _authority;
    private readonly JwksCache _jwks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _sweeper;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cursor;
    private long _keysVersion = -1;
    private long _lastSyncMs;
    private int _full;
    private int _refusedLogged;
    private Task? _startupWait;

    /// <summary>Creates a view over the broker at <paramref name="authority"/> with default settings and no credentials.</summary>
    public RevocationView(HttpClient http, Uri authority, JwksCache jwks, TimeProvider time, ILogger logger)
        : this(http, authority, jwks, time, logger, new RevocationViewOptions())
    {
    }

    /// <summary>Creates a view over the broker at <paramref name="authority"/>.</summary>
    public RevocationView(HttpClient http, Uri authority, JwksCache jwks, TimeProvider time, ILogger logger, RevocationViewOptions options)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        // Scheme, host and port only: never a user-info part in a metric tag.
        _authority = $"{authority.Scheme}://{authority.Authority}";
        _jwks = jwks;
        _time = time;
        _logger = logger;
        _set = new RevocationSet(Math.Max(0, (long)options.ClockSkew.TotalMilliseconds), Math.Max(1, options.MaxEntries));
        var credentials = !string.IsNullOrEmpty(options.ClientId) && !string.IsNullOrEmpty(options.ClientSecret)
            ? Authentication.BasicCredentials.Header(options.ClientId, options.ClientSecret) : null;
        _client = new RevocationFeedClient(http, authority, credentials, time);

        _sweeper = time.CreateTimer(_ => _set.Sweep(_time.GetUtcNow().ToUnixTimeMilliseconds()), null, SweepInterval, SweepInterval);
        Views[this] = 0;
        _ = StalenessGauge;
        _ = EntriesGauge;
    }

    /// <summary>
    /// Raised, on the feed's reader, for each <c>routes</c> event: the named platform's scopes file
    /// changed at the broker. A stream read with a platform's credentials carries only that
    /// platform's. Not raised for changes made while the stream was down: poll as well.
    /// </summary>
    public event EventHandler<RoutesChangedEventArgs>? RoutesChanged;

    /// <summary>
    /// Raised, on the feed's reader, each time the broker accepts the view's stream (the first
    /// time and after every reconnection). Events without an <c>id</c> (<c>keys</c>, <c>routes</c>)
    /// are not replayed, so whatever they would have announced while no stream was open must be
    /// checked again now (a conditional fetch); from this point on, the stream announces it.
    /// </summary>
    public event EventHandler? StreamConnected;

    /// <summary>How long since the view last heard from the broker.</summary>
    public TimeSpan Staleness => _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastSyncMs));

    /// <summary>The feed position reached.</summary>
    public long Cursor => Interlocked.Read(ref _cursor);

    /// <summary>
    /// Entries held: the live ones, plus any that expired since the last sweep (every 10 s). Also
    /// published as the gauge <c>tessera.verifier.revocation_entries</c>.
    /// </summary>
    public long Count => _set.Count;

    /// <summary>True while the view refuses new entries because it holds its maximum of live ones (it is then going stale).</summary>
    public bool IsFull => Volatile.Read(ref _full) == 1;

    /// <summary>
    /// Starts following the feed (once). The first call waits up to <paramref name="timeout"/> for
    /// the first sync, and so do calls made during that one wait; once it is over, nobody waits:
    /// a view that never synced is as stale as can be, and the staleness rule answers.
    /// </summary>
    public Task EnsureStartedAsync(TimeSpan timeout)
    {
        var wait = Volatile.Read(ref _startupWait);
        if (wait is null)
        {
            lock (_gate)
            {
                if (_startupWait is null)
                {
                    _ = Task.Run(() => RunAsync(_stop.Token));
                    Volatile.Write(ref _startupWait, Task.WhenAny(_firstSync.Task, Task.Delay(timeout, _time)));
                }

                wait = _startupWait;
            }
        }

        return wait.IsCompleted ? Task.CompletedTask : wait;
    }

    /// <summary>True when a live entry matches the token: its jti, its agent or any agent of its delegation chain, its task, its chain root or its app.</summary>
    public bool IsRevoked(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return _set.Count != 0 && _set.Matches(claims, _time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Removes the entries no longer live now (also done every 10 s); returns how many.</summary>
    public int SweepExpired() => _set.Sweep(_time.GetUtcNow().ToUnixTimeMilliseconds());

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            var wait = backoff;
            try
            {
                await PollAsync(stop);
                _firstSync.TrySetResult();
                backoff = TimeSpan.FromMilliseconds(250);
                // Every line means the broker was heard, and everything it said so far is applied.
                await _client.FollowAsync(Cursor, OnStreamConnected, (name, data) => OnEventAsync(name, data, stop), Touch, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (FeedRefusedException refused)
            {
                wait = Refused(refused, backoff);
            }
            catch (ViewFullException)
            {
                // Logged once when it filled; the sweeper makes room as entries expire.
            }
#pragma warning disable CA1031 // The follower must survive any failure of the broker or the network and retry.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFeedError(_logger, ex.GetType().Name);
            }

            try
            {
                await Task.Delay(wait, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
        }
    }

    private TimeSpan Refused(FeedRefusedException refused, TimeSpan backoff)
    {
        if (refused.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            if (Interlocked.Exchange(ref _refusedLogged, 1) == 0)
            {
                LogCredentialsRefused(_logger, (int)refused.Status, _client.HasCredentials ? "the broker refused them" : "none are configured");
            }

            return backoff;
        }

        var retryAfter = refused.RetryAfter is { } asked && asked > backoff ? asked : backoff;
        retryAfter = retryAfter > LongestRetryAfter ? LongestRetryAfter : retryAfter;
        LogRateLimited(_logger, (int)refused.Status, retryAfter.TotalSeconds);
        return retryAfter;
    }

    private async Task PollAsync(CancellationToken stop)
    {
        while (true)
        {
            using var document = await _client.ReadPageAsync(Cursor, PageLimit, stop);
            Interlocked.Exchange(ref _refusedLogged, 0);
            foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
            {
                Apply(entry);
            }

            // A rotation while the stream was down is seen here: its keys event was never received.
            if (document.RootElement.TryGetProperty("keys_version", out var keys) && keys.TryGetInt64(out long version) &&
                Interlocked.Exchange(ref _keysVersion, version) is var seen && seen >= 0 && seen != version)
            {
                await _jwks.ForceRefreshAsync(stop);
            }

            Touch();
            if (!document.RootElement.GetProperty("has_more").GetBoolean())
            {
                return;
            }
        }
    }

    private async Task OnEventAsync(string? name, string data, CancellationToken stop)
    {
        if (name == "revocation" && data.Length > 0)
        {
            using var document = JsonDocument.Parse(data);
            Apply(document.RootElement);
        }
        else if (name == "keys")
        {
            RememberKeysVersion(data);
            await _jwks.ForceRefreshAsync(stop);
        }
        else if (name == "routes" && RoutesChanged is { } handlers && RouteChange(data) is { } change)
        {
            handlers(this, change);
        }
    }

    // {"platform_id":"…","version":N}; an event without a platform id tells nobody anything.
    private static RoutesChangedEventArgs? RouteChange(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object &&
                root.TryGetProperty("platform_id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } platformId)
            {
                long version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : 0;
                return new RoutesChangedEventArgs(platformId, version);
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private void OnStreamConnected() => StreamConnected?.Invoke(this, EventArgs.Empty);

    private void Apply(JsonElement entry)
    {
        string level = entry.GetProperty("level").GetString()!;
        string target = entry.GetProperty("target").GetString()!;
        long expires = DateTimeOffset.Parse(entry.GetProperty("expires_at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        // An entry without revoked_at (from a broker that does not send it) matches every token of its agent.
        long revokedAt = entry.TryGetProperty("revoked_at", out var at) && at.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(at.GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()
            : long.MaxValue;
        long seq = entry.GetProperty("seq").GetInt64();
        if (!_set.TryApply(level, target, revokedAt, expires, _time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            // The cursor stays before this entry, so it is applied once there is room.
            if (Interlocked.Exchange(ref _full, 1) == 0)
            {
                LogFull(_logger, _set.Count);
            }

            throw new ViewFullException();
        }

        if (Volatile.Read(ref _full) == 1 && _set.HasRoom && Interlocked.Exchange(ref _full, 0) == 1)
        {
            LogRoomAgain(_logger, _set.Count);
        }

        long current;
        while (seq > (current = Interlocked.Read(ref _cursor)) && Interlocked.CompareExchange(ref _cursor, seq, current) != current)
        {
        }
    }

    private void RememberKeysVersion(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("keys_version", out var keys) && keys.TryGetInt64(out long version))
            {
                Interlocked.Exchange(ref _keysVersion, version);
            }
        }
        catch (JsonException)
        {
            // The event still means "keys changed"; only the version is unknown.
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastSyncMs, _time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <inheritdoc />
    public void Dispose()
    {
        Views.TryRemove(this, out _);
        _sweeper.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Revocation feed interrupted ({Error}); polling and reconnecting")]
    private static partial void LogFeedError(ILogger logger, string error);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error,
        Message = "The broker refused the revocation feed (HTTP {Status}): it requires the platform's credentials and {Why}. Set the platform's ClientId and ClientSecret (Tessera:ClientId, Tessera:ClientSecret; from POST /v1/admin/platforms). Until then the view goes stale and the staleness rule decides")]
    private static partial void LogCredentialsRefused(ILogger logger, int status, string why);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Revocation feed refused with HTTP {Status}; retrying in {Seconds} s as asked")]
    private static partial void LogRateLimited(ILogger logger, int status, double seconds);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Error,
        Message = "Revocation view full: {Entries} live entries (RevocationMaxEntries); new revocations are not applied and the view goes stale until entries expire")]
    private static partial void LogFull(ILogger logger, long entries);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Information, Message = "Revocation view has room again ({Entries} entries); following the feed")]
    private static partial void LogRoomAgain(ILogger logger, long entries);

    /// <summary>An entry found no room.</summary>
    private sealed class ViewFullException() : Exception("revocation view full");
}
