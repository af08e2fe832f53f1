using Tessera.Routes;
using Tessera.Scopes;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>How a route is treated.</summary>
public enum RouteAccess
{
    /// <summary>A verified token with the route's scope(s) is required.</summary>
    Protected,

    /// <summary>No token needed.</summary>
    Public,

    /// <summary>Answered as if the route did not exist (404 <c>ROUTE_NOT_FOUND</c>).</summary>
    Skip,
}

/// <summary>One rule of a scopes file.</summary>
/// <param name="Method">HTTP method as written (HEAD is not GET).</param>
/// <param name="Path">
/// Path template, matched as ASP.NET Core's router matches (see <see cref="RouteTemplate"/>): literal
/// text ignoring letter case, one trailing slash ignored, <c>{name}</c> (identifier-shaped) for one
/// non-empty segment or part of one, braces around anything else as literal text, and a trailing
/// <c>{*rest}</c> for the rest (zero or more segments). A path that does not compile matches nothing.
/// </param>
/// <param name="Access">Protected, public or skip.</param>
/// <param name="Scopes">Required scopes of a protected route.</param>
/// <param name="RequireAll">True: every scope is needed; false: any one.</param>
/// <param name="Line">Where it is in the file.</param>
public sealed record RouteRule(string Method, string Path, RouteAccess Access, IReadOnlyList<Scope> Scopes, bool RequireAll, int Line)
{
    internal RouteTemplate? Template { get; } = RouteTemplate.TryParse(Path, out var template, out _) ? template : null;

    /// <summary>
    /// True when the request's method (exactly as written: HEAD is not GET) and path match this rule.
    /// Which of several matching rules applies is <see cref="ScopesFile.Match"/>'s decision.
    /// </summary>
    public bool Matches(string method, ReadOnlySpan<char> path) =>
        string.Equals(method, Method, StringComparison.Ordinal) && Template is not null && Template.Matches(path);
}
