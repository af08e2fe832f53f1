using Microsoft.AspNetCore.Authentication;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Keys;
using Tessera.AspNetCore.Reporting;

namespace Tessera.AspNetCore.Authentication;

/// <summary>Options of the Tessera authentication scheme. Bind from configuration section <c>Tessera</c>.</summary>
public sealed class TesseraAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The broker's base URL; the JWKS is <c>{Authority}/.well-known/jwks.json</c> unless <see cref="JwksUri"/> says otherwise.</summary>
    public string? Authority { get; set; }

    /// <summary>Where to fetch the keys, if not under <see cref="Authority"/>.</summary>
    public string? JwksUri { get; set; }

    /// <summary>This platform's id: tokens must carry it in <c>aud</c>. Required.</summary>
    public string? Audience { get; set; }

    /// <summary>Accepted issuers (one, or a transition set). Default: <see cref="Authority"/>.</summary>
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

    /// <summary>How long the first request waits for the first revocation sync. Default 2 s.</summary>
    public TimeSpan RevocationStartupWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Reporting of verification outcomes to the broker's audit (off unless the platform's
    /// <c>ClientId</c> and <c>ClientSecret</c> are set). Bind from <c>Tessera:Reporting</c>.
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

        if (Reporting.Enabled)
        {
            Reporting.Validate(Authority);
        }
    }
}
