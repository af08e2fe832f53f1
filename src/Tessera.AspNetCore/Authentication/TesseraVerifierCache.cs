using System.Collections.Concurrent;
using Tessera.AspNetCore.Keys;
using Tessera.AspNetCore.Reporting;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Authentication;

/// <summary>One JWKS cache, verifier, revocation view and outcome reporter per scheme, built once from its options.</summary>
public sealed partial class TesseraVerifierCache(TimeProvider time, Microsoft.Extensions.Logging.ILoggerFactory loggers) : IAsyncDisposable, IDisposable
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

    /// <summary>The revocation view of a scheme, if the scheme was built and follows the feed.</summary>
    public Revocation.RevocationView? RevocationsOf(string scheme) => _entries.TryGetValue(scheme, out var lazy) && lazy.IsValueCreated ? lazy.Value.Revocations : null;

    /// <summary>The revocation view of a scheme, or null when it does not follow the feed.</summary>
    public Revocation.RevocationView? RevocationsOf(string scheme, TesseraAuthenticationOptions options) =>
        _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value.Revocations;

    /// <summary>The outcome reporter of a scheme, or null when reporting is off.</summary>
    public EnforcementReporter? ReporterOf(string scheme, TesseraAuthenticationOptions options) =>
        _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value.Reporter;

    /// <summary>The outcome reporter of a scheme, if the scheme was built and reports.</summary>
    public EnforcementReporter? ReporterOf(string scheme) => _entries.TryGetValue(scheme, out var lazy) && lazy.IsValueCreated ? lazy.Value.Reporter : null;

    /// <summary>True once the scheme's verifier was built (by its first authentication).</summary>
    public bool IsBuilt(string scheme) => _entries.TryGetValue(scheme, out var lazy) && lazy.IsValueCreated;

    /// <summary>Everything the handler needs of a scheme, built on first use.</summary>
    internal Entry EntryOf(string scheme, TesseraAuthenticationOptions options) =>
        _entries.GetOrAdd(scheme, _ => new Lazy<Entry>(() => Create(options))).Value;

    /// <summary>The JWKS cache of a scheme, if it was built.</summary>
    public JwksCache? CacheOf(string scheme) => _entries.TryGetValue(scheme, out var lazy) && lazy.IsValueCreated ? lazy.Value.Cache : null;

    private Entry Create(TesseraAuthenticationOptions options)
    {
        if (!SigningAlgorithms.TryParse(options.Algorithm, out var algorithm))
        {
            throw new InvalidOperationException("Tessera authentication: Algorithm must be EdDSA, ES256 or RS256");
        }

        // Checked here too: options built by hand reach the cache without Validate.
        options.EnsureTransportAllowed(options.Authority, nameof(options.Authority));
        options.EnsureTransportAllowed(options.JwksUri, nameof(options.JwksUri));
        options.EnsureTransportAllowed(options.Reporting.Endpoint, "Reporting.Endpoint");
        string authority = options.Authority?.TrimEnd('/') ?? "";
        var jwks = new Uri(options.JwksUri ?? authority + "/.well-known/jwks.json");
        var http = new HttpClient(options.BackchannelHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: options.BackchannelHandler is null);
        var cache = new JwksCache(http, jwks, algorithm, time, options.Jwks);
        List<string> pinned = [.. options.ValidIssuers];
        var verifier = new TokenVerifier(cache, new TokenVerifierOptions
        {
            Algorithm = algorithm,
            ValidIssuers = pinned.Count > 0 ? pinned : [authority],
            Audience = options.Audience,
            ClockSkew = options.ClockSkew,
            MaxTokenLength = options.MaxTokenLength,
        });
        var verified = new VerifiedTokenCache(options.VerifiedTokenCacheSize);
        Discovery.BrokerMetadataSource? metadata = null;
        if (options.Discovery && !string.IsNullOrEmpty(authority))
        {
            // Read before every key fetch (the first authentication waits for both, bounded by the
            // fetch timeout); a new issuer set empties the verified-token cache.
            metadata = new Discovery.BrokerMetadataSource(
                http, authority, pinned, options.JwksUri is null ? null : jwks, options.AllowInsecureHttp, options.Jwks, loggers.CreateLogger("Tessera.Discovery"),
                issuers =>
                {
                    verifier.SetValidIssuers(issuers);
                    verified.Clear();
                });
            cache.Locate = metadata.LocateAsync;
        }
        Revocation.RevocationView? revocations = null;
        if (options.FollowRevocations && !string.IsNullOrEmpty(authority))
        {
            var credentials = options.FeedCredentials();
            revocations = new Revocation.RevocationView(http, new Uri(authority), cache, time, loggers.CreateLogger("Tessera.Revocation"), new Revocation.RevocationViewOptions
            {
                ClockSkew = options.ClockSkew,
                MaxEntries = options.RevocationMaxEntries,
                ClientId = credentials?.Id,
                ClientSecret = credentials?.Secret,
            });
        }

        EnforcementReporter? reporter = null;
        if (options.ReportingCredentials() is { } reporting)
        {
            reporter = new EnforcementReporter(http, options.Reporting.ResolveEndpoint(authority), options.Reporting, reporting.Id, reporting.Secret, time, loggers.CreateLogger("Tessera.Reporting"));
        }
        else if (!string.IsNullOrEmpty(options.Reporting.ClientId) || !string.IsNullOrEmpty(options.Reporting.ClientSecret))
        {
            LogReportingHalfConfigured(loggers.CreateLogger("Tessera.Reporting"));
        }

        string issuerOrigin = pinned.Count > 0 ? "pinned in ValidIssuers" : "the Authority; discovery is off";
        return new Entry(cache, verifier, algorithm, http, revocations, verified, reporter, metadata, issuerOrigin,
            new RefusalLog(loggers.CreateLogger("Tessera.Authentication"), time));
    }

    /// <summary>Sends the outcomes still buffered (bounded by each reporter's shutdown timeout), then releases the clients.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _entries.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.Reporter is { } reporter)
            {
                await reporter.DisposeAsync();
            }
        }

        Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var lazy in _entries.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Reporter?.Dispose();
                lazy.Value.Revocations?.Dispose();
                lazy.Value.Http.Dispose();
            }
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 5207, Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Enforcement reporting is off: set both Reporting.ClientId and Reporting.ClientSecret")]
    private static partial void LogReportingHalfConfigured(Microsoft.Extensions.Logging.ILogger logger);

    /// <summary>One scheme's verification state.</summary>
    internal sealed record Entry(
        JwksCache Cache, TokenVerifier Verifier, SigningAlgorithm Algorithm, HttpClient Http, Revocation.RevocationView? Revocations, VerifiedTokenCache Verified,
        EnforcementReporter? Reporter, Discovery.BrokerMetadataSource? Metadata, string FixedIssuerOrigin, RefusalLog Refusals)
    {
        /// <summary>Where the accepted issuers come from, in words for a refusal.</summary>
        public string IssuerOrigin => Metadata?.IssuerOrigin ?? FixedIssuerOrigin;

        /// <summary>The key URL a refusal names: the broker's published <c>jwks_uri</c> when the keys come from it, else where they are fetched.</summary>
        public Uri PublishedJwks => Metadata?.PublishedJwks(Cache.Uri) ?? Cache.Uri;
    }
}
