namespace Tessera.Broker.Authorization;

/// <summary>The broker's authentication schemes.</summary>
internal static class BrokerSchemes
{
    /// <summary>
    /// <c>Authorization: Bearer</c> with a token this broker issued and has not revoked: an admin token,
    /// an app token or an agent token. They share one format and one check; which kind an endpoint
    /// takes is its policy's business (<see cref="BrokerPolicies"/>), so that a token of the wrong kind
    /// is refused with 403 <c>insufficient_scope</c> as before, not with 401.
    /// </summary>
    public const string Bearer = "TesseraBearer";

    /// <summary>A registered, active platform's own client credentials in HTTP Basic.</summary>
    public const string PlatformBasic = "TesseraPlatformBasic";

    /// <summary>
    /// <see cref="PlatformBasic"/> when the request sends <c>Authorization: Basic</c>, otherwise
    /// <see cref="Bearer"/>: for the endpoints a platform and an admin may both call.
    /// </summary>
    public const string PlatformOrBearer = "TesseraPlatformOrBearer";

    /// <summary>The revocation feed's readers (see <see cref="Revocation.RevocationFeedAccess"/>).</summary>
    public const string RevocationFeed = "TesseraRevocationFeed";

    /// <summary>A platform sending enforcement reports (see <see cref="Enforcement.EnforcementAccess"/>).</summary>
    public const string EnforcementReporter = "TesseraEnforcementReporter";
}
