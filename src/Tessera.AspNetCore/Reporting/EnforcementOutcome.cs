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
    /// <summary>Longest route kept; longer ones (raw paths) are cut so that a buffer's memory stays bounded.</summary>
    public const int MaxRouteLength = 512;

    /// <summary>An allowed request.</summary>
    public static EnforcementOutcome Allow(string agentId, string method, string route) => new(agentId, true, null, method, route);

    /// <summary>A denied request with its stable error code.</summary>
    public static EnforcementOutcome Deny(string agentId, string errorCode, string method, string route) => new(agentId, false, errorCode, method, route);

    /// <summary>
    /// This outcome with what the broker would refuse made acceptable: the method upper-cased,
    /// else <c>OTHER</c> (the broker takes 1 to 16 upper-case letters); an empty route as <c>/</c>,
    /// a long one cut. Returns itself, without allocating, when already acceptable.
    /// </summary>
    internal EnforcementOutcome ForWire()
    {
        if (IsMethod(Method) && Route.Length is > 0 and <= MaxRouteLength)
        {
            return this;
        }

        string method = Method.ToUpperInvariant();
        string route = Route.Length == 0 ? "/" : Route;
        return this with
        {
            Method = IsMethod(method) ? method : "OTHER",
            Route = route.Length > MaxRouteLength ? route[..MaxRouteLength] : route,
        };
    }

    /// <summary>False when the broker would refuse the event (and so the whole report): agent id empty, over 2048 characters or with control characters; error code empty or over 64.</summary>
    internal bool IsAcceptable()
    {
        if (AgentId.Length is 0 or > 2048 || ErrorCode is { Length: 0 or > 64 })
        {
            return false;
        }

        foreach (char c in AgentId)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsMethod(string method)
    {
        if (method.Length is 0 or > 16)
        {
            return false;
        }

        foreach (char c in method)
        {
            if (c is < 'A' or > 'Z')
            {
                return false;
            }
        }

        return true;
    }
}
