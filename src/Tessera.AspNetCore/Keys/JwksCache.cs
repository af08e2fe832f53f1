using System.Net.Http.Headers;
using System.Text.Json;
using Tessera.Keys;

namespace Tessera.AspNetCore.Keys;

/// <summary>
/// The broker's public keys, fetched lazily and cached. One fetch in flight at a time; an
/// unknown <c>kid</c> triggers one refetch; a cooldown is armed only by a fetch that taught
/// nothing, so a flood of invented <c>kid</c>s costs at most one extra fetch while a real
/// rotation is picked up at once. A failed fetch never drops cached keys, but a cache older
/// than its TTL plus the allowed staleness is not served. Only keys of the pinned algorithm are kept.
/// The cause of the last failed fetch is kept for the refusal's log line. With discovery, each
/// fetch first asks the broker's metadata where the keys are (and which issuer to accept).
/// </summary>
public sealed class JwksCache : IVerificationKeySource
{
    // A bound on what one document can make the cache hold; a broker publishes a handful.
    private const int MaxKeys = 64;

    private readonly HttpClient _http;
    private volatile Uri _uri;
    private readonly SigningAlgorithm _algorithm;
    private readonly TimeProvider _time;
    private readonly JwksCacheOptions _options;
    private readonly Lock _gate = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private Task<bool>? _inflight;
    private DateTimeOffset _cooldownUntil = DateTimeOffset.MinValue;
    private long _fetches;
    private volatile string? _lastFailure;
    private long _failureEpisode;
    private volatile bool _failing;

    /// <summary>Creates a cache for <paramref name="uri"/>.</summary>
    public JwksCache(HttpClient http, Uri uri, SigningAlgorithm algorithm, TimeProvider time, JwksCacheOptions options)
    {
        _http = http;
        _uri = uri;
        _algorithm = algorithm;
        _time = time;
        _options = options;
    }

    /// <summary>How many fetches were made (for tests and metrics).</summary>
    public long FetchCount => Interlocked.Read(ref _fetches);

    /// <summary>Where the keys are fetched from now (the discovered <c>jwks_uri</c> once the metadata named one).</summary>
    public Uri Uri => _uri;

    /// <summary>
    /// Why keys cannot be used, in words that name no secret: the last fetch's failure (HTTP status,
    /// timeout, connection error, JSON error, size), no key of the pinned algorithm, or keys too
    /// stale to serve. Null while the last fetch succeeded.
    /// </summary>
    public string? LastFailure => _lastFailure;

    /// <summary>Counts failure episodes: it moves when a fetch fails after a success (or first), so a refusal is logged once per episode.</summary>
    public long FailureEpisode => Interlocked.Read(ref _failureEpisode);

    /// <summary>
    /// Asked before each fetch, with the fetch's cancellation: where to fetch the keys now. Set by
    /// discovery before first use; null keeps the URL given at construction.
    /// </summary>
    internal Func<CancellationToken, Task<Uri>>? Locate { get; set; }

    /// <summary>How long a caller refused for unavailable keys should wait: the cooldown left, else 5 s; at least 1 s.</summary>
    public TimeSpan RetryAfter(DateTimeOffset now)
    {
        var left = _cooldownUntil - now;
        var wait = left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(5);
        return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }

    /// <inheritdoc />
    public bool TryGetKey(string keyId, out VerificationKey? key) => _snapshot.Keys.TryGetValue(keyId, out key);

    /// <summary>True while the cached keys are within their TTL: a known <c>kid</c> can be used without <see cref="EnsureAsync"/>.</summary>
    public bool IsFresh(DateTimeOffset now) => _snapshot.FetchedAt + _options.RefreshInterval > now;

    /// <summary>Makes sure the key for <paramref name="keyId"/> is cached if the broker publishes it.</summary>
    public async Task<JwksLookup> EnsureAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var snapshot = _snapshot;
        bool fresh = snapshot.FetchedAt + _options.RefreshInterval > now;
        if (fresh && snapshot.Keys.ContainsKey(keyId))
        {
            return JwksLookup.Found;
        }

        bool mayFetch = !fresh || now >= _cooldownUntil;
        if (mayFetch)
        {
            await RefreshAsync(armCooldownIfUseless: fresh, seen: snapshot, cancellationToken);
        }

        snapshot = _snapshot;
        if (snapshot.Keys.Count == 0 || snapshot.FetchedAt + _options.RefreshInterval + _options.MaxStaleness <= _time.GetUtcNow())
        {
            if (snapshot.Keys.Count > 0 && _lastFailure is null)
            {
                Failed($"the cached keys are older than the refresh interval plus MaxStaleness ({_options.MaxStaleness})");
            }

            return JwksLookup.Unavailable;
        }

        return snapshot.Keys.ContainsKey(keyId) ? JwksLookup.Found : JwksLookup.UnknownKey;
    }

    /// <summary>Refetches now regardless of cooldown (the broker announced a key change).</summary>
    public Task<bool> ForceRefreshAsync(CancellationToken cancellationToken) => RefreshAsync(armCooldownIfUseless: false, seen: null, cancellationToken);

    private Task<bool> RefreshAsync(bool armCooldownIfUseless, Snapshot? seen, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_inflight is { IsCompleted: false } running)
            {
                return running;
            }

            // A fetch completed since the caller looked: it re-reads that result instead of fetching again.
            if (seen is not null && !ReferenceEquals(seen, _snapshot))
            {
                return Task.FromResult(true);
            }

            // Re-checked under the lock: callers that raced past the cooldown check do not fetch again.
            if (armCooldownIfUseless && _time.GetUtcNow() < _cooldownUntil)
            {
                return Task.FromResult(false);
            }

            _inflight = FetchAsync(armCooldownIfUseless);
            return _inflight;
        }
    }

    private async Task<bool> FetchAsync(bool armCooldownIfUseless)
    {
        Interlocked.Increment(ref _fetches);
        var before = _snapshot;
        if (Locate is { } locate)
        {
            // Discovery bounds itself (its own timeout) and never throws for the broker's failures.
            _uri = await locate(CancellationToken.None);
        }

        var uri = _uri;
        try
        {
            using var timeout = new CancellationTokenSource(_options.FetchTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Failed($"HTTP {(int)response.StatusCode} {Diagnostics.Printable.Cut(response.ReasonPhrase)}".TrimEnd());
            }

            if (response.Content.Headers.ContentLength > _options.MaxDocumentBytes)
            {
                return Failed($"the document is larger than MaxDocumentBytes ({_options.MaxDocumentBytes} bytes)");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var limited = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                if (limited.Length + read > _options.MaxDocumentBytes)
                {
                    return Failed($"the document is larger than MaxDocumentBytes ({_options.MaxDocumentBytes} bytes)");
                }

                limited.Write(buffer, 0, read);
            }

            using var document = JsonDocument.Parse(limited.ToArray());
            // A document that is not a key set is kept as an empty one: the failure is reported below.
            _ = JsonWebKeySet.TryParse(document.RootElement, _algorithm, MaxKeys, out var keys, out _);

            var now = _time.GetUtcNow();
            _snapshot = new Snapshot(keys, now);
            if (keys.Count == 0)
            {
                Failed($"the document has no usable {_algorithm.Name()} key (only keys of the pinned algorithm are kept)");
            }
            else
            {
                _failing = false;
                _lastFailure = null;
            }

            bool taughtSomething = keys.Keys.Any(k => !before.Keys.ContainsKey(k));
            if (armCooldownIfUseless && !taughtSomething)
            {
                _cooldownUntil = now + _options.UnknownKeyCooldown;
            }

            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException)
        {
            // Keep what we had; EnsureAsync decides whether it is still servable.
            _cooldownUntil = _time.GetUtcNow() + _options.UnknownKeyCooldown;
            return Failed(Cause(ex));
        }
    }

    private bool Failed(string cause)
    {
        _lastFailure = cause;
        if (!_failing)
        {
            _failing = true;
            Interlocked.Increment(ref _failureEpisode);
        }

        return false;
    }

    private string Cause(Exception ex) => ex switch
    {
        TaskCanceledException => $"no answer within FetchTimeout ({_options.FetchTimeout.TotalSeconds:0.###} s)",
        HttpRequestException http when http.HttpRequestError == HttpRequestError.ConnectionError =>
            "connection failed (" + Diagnostics.Printable.Cut(http.InnerException?.Message ?? http.Message) + ")",
        HttpRequestException http => $"request failed: {http.HttpRequestError} (" + Diagnostics.Printable.Cut(http.Message) + ")",
        JsonException => "the document is not JSON",
        _ => "reading the document failed (" + Diagnostics.Printable.Cut(ex.Message) + ")",
    };

    private sealed record Snapshot(IReadOnlyDictionary<string, VerificationKey> Keys, DateTimeOffset FetchedAt)
    {
        public static Snapshot Empty { get; } = new(new Dictionary<string, VerificationKey>(), DateTimeOffset.MinValue);
    }
}
