namespace Tessera.AspNetCore.Reporting;

/// <summary>
/// One verification decision about a request whose token's signature verified, so that
/// <see cref="AgentId"/> is trustworthy.
/// </summary>
/// <param name="AgentId">The agent (<c>sub</c> of the verified token).</param>
/// <param name="Allowed">True when the request was let through.</param>
/// <param name="ErrorCode">The stable code of a denial (<c>MISSING_SCOPE</c>, <c>TOKEN_REVOKED</c>, …); null when allowed.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Route">The route template (scopes-file rule, else endpoint pattern), else the path.</param>
public readonly record struct EnforcementOutcome(string AgentId, bool Allowed, string? ErrorCode, string Method, string Route)
{
    /// <summary>An allowed request.</summary>
    public static EnforcementOutcome Allow(string agentId, string method, string route) => new(agentId, true, null, method, route);

    /// <summary>A denied request with its stable error code.</summary>
    public static EnforcementOutcome Deny(string agentId, string errorCode, string method, string route) => new(agentId, false, errorCode, method, route);
}
