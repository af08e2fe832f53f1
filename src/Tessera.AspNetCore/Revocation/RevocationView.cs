using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
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
/// once, even inside its unknown-kid cooldown. A check is a hash probe.
/// </summary>
public sealed partial class RevocationView : IDisposable
{
    private readonly ConcurrentDictionary<(string Level, string Target), long> _entries = new();
    private readonly HttpClient _http;
    private readonly Uri _feed;
    private readonly JwksCache _jwks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cursor;
    private long _keysVersion = -1;
    private long _lastSyncMs;
    private Task? _loop;

    /// <summary>Creates a view over the broker at <paramref name="authority"/>.</summary>
    public RevocationView(HttpClient http, Uri authority, JwksCache jwks, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(authority);
        _http = http;
        _feed = new Uri(authority.ToString().TrimEnd('/') + "/v1/revocations");
        _jwks = jwks;
        _time = time;
        _logger = logger;
        Views[this] = 0;
        _ = StalenessGauge;
    }

    private static readonly ConcurrentDictionary<RevocationView, byte> Views = new();

    // One gauge for the process: the stalest view (normally there is one scheme).
    private static readonly System.Diagnostics.Metrics.ObservableGauge<double> StalenessGauge = Diagnostics.TesseraMeter.Instance.CreateObservableGauge(
        "tessera.verifier.revocation_staleness",
        () => Views.Keys.Select(v => v.Staleness.TotalSeconds).DefaultIfEmpty(0).Max(),
        unit: "s",
        description: "Seconds since the platform last heard from the broker's revocation feed.");

    /// <summary>How long since the view last heard from the broker.</summary>
    public TimeSpan Staleness => _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastSyncMs));

    /// <summary>The feed position reached.</summary>
    public long Cursor => Interlocked.Read(ref _cursor);

    /// <summary>Starts following the feed (once) and waits up to <paramref name="timeout"/> for the first sync.</summary>
    public async Task EnsureStartedAsync(TimeSpan timeout)
    {
        lock (_entries)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }

        await Task.WhenAny(_firstSync.Task, Task.Delay(timeout));
    }

    /// <summary>True when a live entry matches the token.</summary>
    public bool IsRevoked(AccessTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (_entries.IsEmpty)
        {
            return false;
        }

        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return Live(("token", claims.JwtId), now) || Live(("agent", claims.Subject), now) ||
               (claims.TaskId is { } task && Live(("task", task), now)) ||
               (claims.ChainRoot is { } root && Live(("chain", root), now)) ||
               (claims.AppId is { } app && Live(("app", app), now));
    }

    private bool Live((string, string) key, long now) => _entries.TryGetValue(key, out long expires) && expires > now;

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stop);
                _firstSync.TrySetResult();
                backoff = TimeSpan.FromMilliseconds(250);
                await StreamAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The follower must survive any failure of the broker or the network and retry.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFeedError(_logger, ex.GetType().Name);
            }

            try
            {
                await Task.Delay(backoff, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
        }
    }

    private async Task PollAsync(CancellationToken stop)
    {
        while (true)
        {
            using var response = await _http.GetAsync(new Uri($"{_feed}?since={Cursor.ToString(CultureInfo.InvariantCulture)}&limit=1000"), stop);
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop));
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

    private async Task StreamAsync(CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{_feed}/stream?since={Cursor.ToString(CultureInfo.InvariantCulture)}"));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(stop);
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? eventName = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(stop) is { } line)
        {
            Touch();
            if (line.Length == 0)
            {
                if (eventName == "revocation" && data.Length > 0)
                {
                    using var document = JsonDocument.Parse(data.ToString());
                    Apply(document.RootElement);
                }
                else if (eventName == "keys")
                {
                    RememberKeysVersion(data.ToString());
                    await _jwks.ForceRefreshAsync(stop);
                }

                eventName = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                eventName = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line[5..].Trim());
            }
        }
    }

    private void Apply(JsonElement entry)
    {
        string level = entry.GetProperty("level").GetString()!;
        string target = entry.GetProperty("target").GetString()!;
        long expires = DateTimeOffset.Parse(entry.GetProperty("expires_at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        _entries.AddOrUpdate((level, target), expires, (_, old) => Math.Max(old, expires));
        long seq = entry.GetProperty("seq").GetInt64();
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
        _stop.Cancel();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Revocation feed interrupted ({Error}); polling and reconnecting")]
    private static partial void LogFeedError(ILogger logger, string error);
}
