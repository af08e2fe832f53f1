using System.Collections.Concurrent;
using Tessera.AspNetCore.Keys;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Authentication;

/// <summary>One JWKS cache and one verifier per scheme, built once from its options.</summary>
public sealed class TesseraVerifierCache(TimeProvider time, Microsoft.Extensions.Logging.ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _entries = new(StringComparer.Ordinal);

    /// <summary>The JWKS cache, verifier and pinned algorithm of a scheme.</summary>
    public (JwksCache Cache, TokenVerifier Verifier, SigningAlgorithm Algorithm) For(string scheme, TesseraAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entry = _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value;
        return (entry.Cache, entry.Verifier, entry.Algorithm);
    }

    /// <summary>The verified-token cache of a scheme.</summary>
    public VerifiedTokenCache VerifiedOf(string scheme, TesseraAuthenticationOptions options) =>
        _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value.Verified;

    /// <summary>The revocation view of a scheme, or null when it does not follow the feed.</summary>
    public Revocation.RevocationView? RevocationsOf(string scheme, TesseraAuthenticationOptions options) =>
        _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value.Revocations;

    /// <summary>The JWKS cache of a scheme, if it was built.</summary>
    public JwksCache? CacheOf(string scheme) => _entries.TryGetValue(scheme, out var lazy) && lazy.IsValueCreated ? lazy.Value.Cache : null;

    private Entry Create(TesseraAuthenticationOptions options)
    {
        if (!SigningAlgorithms.TryParse(options.Algorithm, out var algorithm))
        {
            throw new InvalidOperationException("Tessera authentication: Algorithm must be EdDSA, ES256 or RS256");
        }

        string authority = options.Authority?.TrimEnd('/') ?? "";
        var jwks = new Uri(options.JwksUri ?? authority + "/.well-known/jwks.json");
        var http = new HttpClient(options.BackchannelHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: options.BackchannelHandler is null);
        var cache = new JwksCache(http, jwks, algorithm, time, options.Jwks);
        var issuers = options.ValidIssuers.Count > 0 ? [.. options.ValidIssuers] : new List<string> { authority };
        var verifier = new TokenVerifier(cache, new TokenVerifierOptions
        {
            Algorithm = algorithm,
            ValidIssuers = issuers,
            Audience = options.Audience,
            ClockSkew = options.ClockSkew,
            MaxTokenLength = options.MaxTokenLength,
        });
        Revocation.RevocationView? revocations = null;
        if (options.FollowRevocations && !string.IsNullOrEmpty(authority))
        {
            revocations = new Revocation.RevocationView(http, new Uri(authority), cache, time, loggers.CreateLogger("Tessera.Revocation"));
        }

        return new Entry(cache, verifier, algorithm, http, revocations, new VerifiedTokenCache(options.VerifiedTokenCacheSize));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var lazy in _entries.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Revocations?.Dispose();
                lazy.Value.Http.Dispose();
            }
        }
    }

    private sealed record Entry(JwksCache Cache, TokenVerifier Verifier, SigningAlgorithm Algorithm, HttpClient Http, Revocation.RevocationView? Revocations, VerifiedTokenCache Verified);
}
