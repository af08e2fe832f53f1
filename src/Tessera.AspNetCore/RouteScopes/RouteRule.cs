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
/// Path template, matched exactly (case-sensitive, trailing slash significant): literal text,
/// <c>{name}</c> (identifier-shaped) for one non-empty segment or part of one, braces around
/// anything else as literal text, and a trailing <c>{*rest}</c> for the rest.
/// </param>
/// <param name="Access">Protected, public or skip.</param>
/// <param name="Scopes">Required scopes of a protected route.</param>
/// <param name="RequireAll">True: every scope is needed; false: any one.</param>
/// <param name="Line">Where it is in the file.</param>
public sealed record RouteRule(string Method, string Path, RouteAccess Access, IReadOnlyList<Scope> Scopes, bool RequireAll, int Line)
{
    internal RouteTemplate Template { get; } = RouteTemplate.Create(Path);

    /// <summary>True when the request's method and path match this rule exactly.</summary>
    public bool Matches(string method, ReadOnlySpan<char> path) =>
        string.Equals(method, Method, StringComparison.Ordinal) && Template.Matches(path);
}
