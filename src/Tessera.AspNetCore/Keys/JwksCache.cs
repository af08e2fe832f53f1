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
/// </summary>
public sealed class JwksCache : IVerificationKeySource
{
    private readonly HttpClient _http;
    private readonly Uri _uri;
    private readonly SigningAlgorithm _algorithm;
    private readonly TimeProvider _time;
    private readonly JwksCacheOptions _options;
    private readonly Lock _gate = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private Task<bool>? _inflight;
    private DateTimeOffset _cooldownUntil = DateTimeOffset.MinValue;
    private long _fetches;

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
        try
        {
            using var timeout = new CancellationTokenSource(_options.FetchTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > _options.MaxDocumentBytes)
            {
                return false;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var limited = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                if (limited.Length + read > _options.MaxDocumentBytes)
                {
                    return false;
                }

                limited.Write(buffer, 0, read);
            }

            using var document = JsonDocument.Parse(limited.ToArray());
            var keys = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("keys", out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var jwk in array.EnumerateArray())
                {
                    if (VerificationKey.TryFromJwk(jwk, out var key, out _) && key is not null && key.Algorithm == _algorithm && keys.Count < 64)
                    {
                        keys[key.KeyId] = key;
                    }
                }
            }

            var now = _time.GetUtcNow();
            _snapshot = new Snapshot(keys, now);
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
            return false;
        }
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, VerificationKey> Keys, DateTimeOffset FetchedAt)
    {
        public static Snapshot Empty { get; } = new(new Dictionary<string, VerificationKey>(), DateTimeOffset.MinValue);
    }
}
