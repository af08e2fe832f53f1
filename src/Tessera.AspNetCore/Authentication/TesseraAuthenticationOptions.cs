using Microsoft.AspNetCore.Authentication;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Keys;
using Tessera.AspNetCore.Reporting;

namespace Tessera.AspNetCore.Authentication;

/// <summary>Options of the Tessera authentication scheme. Bind from configuration section <c>Tessera</c>.</summary>
public sealed class TesseraAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The URL this platform reaches the broker by (an internal URL behind a reverse proxy is fine).
    /// With <see cref="Discovery"/> the broker's metadata at <c>{Authority}/.well-known/tessera-configuration</c>
    /// names the issuer to accept and where the keys are; without it (or when the broker has no
    /// metadata) the issuer is the Authority and the keys are at <c>{Authority}/.well-known/jwks.json</c>.
    /// The revocation feed and reports always use the Authority.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>Where to fetch the keys. When set it is pinned: it wins over the metadata's <c>jwks_uri</c> (a difference is logged as a warning).</summary>
    public string? JwksUri { get; set; }

    /// <summary>
    /// Read the broker's metadata (<c>{Authority}/.well-known/tessera-configuration</c>) at first use and
    /// at each key refresh: its <c>issuer</c> becomes the accepted issuer and its <c>jwks_uri</c> the key
    /// source, unless <see cref="ValidIssuers"/> or <see cref="JwksUri"/> pin them. Keys published under
    /// the issuer's URL are fetched through <see cref="Authority"/>. Default true; false keeps the
    /// Authority as issuer and <c>{Authority}/.well-known/jwks.json</c> as key source.
    /// </summary>
    public bool Discovery { get; set; } = true;

    /// <summary>
    /// Allow plain <c>http://</c> for <see cref="Authority"/>, <see cref="JwksUri"/> and the report
    /// endpoint to a non-loopback host. Off by default: keys, revocations and the platform's
    /// credentials would travel unprotected. (The agent SDK's option of the same name.)
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>
    /// The platform's own client id (<c>tsr_kid_…</c>, issued with the platform by
    /// <c>POST /v1/admin/platforms</c>). With <see cref="ClientSecret"/> it is sent as HTTP Basic on
    /// the revocation feed (poll and stream) and on outcome reports, and turns reporting on. When
    /// empty, <see cref="EnforcementReportingOptions.ClientId"/> is used. Bind as <c>Tessera:ClientId</c>.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The platform's own client secret (<c>tsr_sk_…</c>); see <see cref="ClientId"/>. Never logged. Bind as <c>Tessera:ClientSecret</c>.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>This platform's id: tokens must carry it in <c>aud</c>. Required.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Accepted issuers (one, or a transition set). Empty (the default) follows the broker's metadata
    /// (see <see cref="Discovery"/>), else the <see cref="Authority"/>. Non-empty pins them: they win
    /// over the metadata's issuer (a difference is logged as a warning).
    /// </summary>
    public IList<string> ValidIssuers { get; } = [];

    /// <summary>The one algorithm accepted: <c>EdDSA</c> (default), <c>ES256</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; set; } = "EdDSA";

    /// <summary>Leeway for <c>exp</c> and <c>nbf</c>. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest token accepted, in characters. Default 8192.</summary>
    public int MaxTokenLength { get; set; } = 8192;

    /// <summary>
    /// The body of a refusal: <see cref="ErrorBodyFormat.Problem"/> (default, problem+json) or
    /// <see cref="ErrorBodyFormat.MudraId"/> (exactly <c>{error_code, message}</c>, for clients of
    /// MudraID's platform middleware). Status codes, error codes and the <c>WWW-Authenticate</c>
    /// challenge do not change. Applies to the scheme's challenges and to <c>UseTesseraRouteScopes</c>.
    /// Bind as <c>Tessera:ErrorBody</c> = <c>Problem</c> or <c>MudraId</c>.
    /// </summary>
    public ErrorBodyFormat ErrorBody { get; set; } = ErrorBodyFormat.Problem;

    /// <summary>JWKS cache tuning.</summary>
    public JwksCacheOptions Jwks { get; } = new();

    /// <summary>Most verified tokens remembered (skipping signature work until their exp); 0 disables. Default 10000.</summary>
    public int VerifiedTokenCacheSize { get; set; } = 10_000;

    /// <summary>Follow the broker's revocation feed (needs <see cref="Authority"/>). Default true.</summary>
    public bool FollowRevocations { get; set; } = true;

    /// <summary>
    /// How stale the revocation view may get (no word from the broker's feed) before tokens
    /// issued earlier than this bound can no longer be confirmed unrevoked. Default 60 s.
    /// </summary>
    public TimeSpan RevocationMaxStaleness { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Past <see cref="RevocationMaxStaleness"/>: false (default) fails closed for tokens issued
    /// before the bound (they get <c>TOKEN_REVOKED</c> and must be refreshed); true accepts them.
    /// </summary>
    public bool RevocationFailOpen { get; set; }

    /// <summary>
    /// How long requests wait for the first revocation sync, once: after that wait, requests are
    /// answered by the staleness rule without waiting. Default 2 s.
    /// </summary>
    public TimeSpan RevocationStartupWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most revocation entries held. An entry is held until its <c>expires_at</c> plus
    /// <see cref="ClockSkew"/>; when the view is full of live entries it stops applying the feed
    /// (logged once), goes stale, and the staleness rule decides. Default 500,000.
    /// </summary>
    public int RevocationMaxEntries { get; set; } = Revocation.RevocationViewOptions.DefaultMaxEntries;

    /// <summary>
    /// Reporting of verification outcomes to the broker's audit (off unless the platform's
    /// credentials are set: <see cref="ClientId"/> and <see cref="ClientSecret"/>, or the section's
    /// own <c>ClientId</c> and <c>ClientSecret</c>, which win for reports). Bind from <c>Tessera:Reporting</c>.
    /// </summary>
    public EnforcementReportingOptions Reporting { get; } = new();

    /// <summary>Handler for the JWKS, revocation and report requests (tests, proxies, custom TLS). Default: a new <see cref="SocketsHttpHandler"/>.</summary>
    public HttpMessageHandler? BackchannelHandler { get; set; }

    /// <summary>Hooks, as JwtBearer's events.</summary>
    public new TesseraAuthenticationEvents Events
    {
        get => (TesseraAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>Creates options with default events.</summary>
    public TesseraAuthenticationOptions() => Events = new TesseraAuthenticationEvents();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Audience))
        {
            throw new InvalidOperationException("Tessera authentication: Audience (this platform's id) is required");
        }

        if (string.IsNullOrWhiteSpace(Authority) && string.IsNullOrWhiteSpace(JwksUri))
        {
            throw new InvalidOperationException("Tessera authentication: Authority (the broker URL) or JwksUri is required");
        }

        if (!Tessera.Keys.SigningAlgorithms.TryParse(Algorithm, out _))
        {
            throw new InvalidOperationException("Tessera authentication: Algorithm must be EdDSA, ES256 or RS256");
        }

        if (!Enum.IsDefined(ErrorBody))
        {
            throw new InvalidOperationException("Tessera authentication: ErrorBody must be Problem or MudraId");
        }

        if (string.IsNullOrEmpty(ClientId) != string.IsNullOrEmpty(ClientSecret))
        {
            throw new InvalidOperationException("Tessera authentication: ClientId and ClientSecret (the platform's credentials) must be set together");
        }

        if (RevocationMaxEntries < 1)
        {
            throw new InvalidOperationException("Tessera authentication: RevocationMaxEntries must be positive");
        }

        if (ReportingCredentials() is not null)
        {
            Reporting.Validate(Authority);
        }

        EnsureTransportAllowed(Authority, nameof(Authority));
        EnsureTransportAllowed(JwksUri, nameof(JwksUri));
        EnsureTransportAllowed(Reporting.Endpoint, "Reporting.Endpoint");
    }

    /// <summary>The platform's credentials for the revocation feed: <see cref="ClientId"/>/<see cref="ClientSecret"/>, else the reporting ones.</summary>
    internal (string Id, string Secret)? FeedCredentials() =>
        !string.IsNullOrEmpty(ClientId) && !string.IsNullOrEmpty(ClientSecret) ? (ClientId, ClientSecret)
        : Reporting.Enabled ? (Reporting.ClientId!, Reporting.ClientSecret!) : null;

    /// <summary>The credentials reports are sent with: the reporting ones, else <see cref="ClientId"/>/<see cref="ClientSecret"/>; null when reporting is off.</summary>
    internal (string Id, string Secret)? ReportingCredentials() =>
        Reporting.Enabled ? (Reporting.ClientId!, Reporting.ClientSecret!)
        : !string.IsNullOrEmpty(ClientId) && !string.IsNullOrEmpty(ClientSecret) ? (ClientId, ClientSecret) : null;

    /// <summary>Throws for a URL that is not http(s), or plain http to a non-loopback host without <see cref="AllowInsecureHttp"/>.</summary>
    internal void EnsureTransportAllowed(string? url, string setting)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"Tessera authentication: {setting} must be an absolute http(s) URL");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback && !AllowInsecureHttp)
        {
            throw new InvalidOperationException($"Tessera authentication: refusing plain http:// to {uri.Host} for {setting}: use https, or set AllowInsecureHttp (Tessera:AllowInsecureHttp) for a trusted network");
        }
    }
}
