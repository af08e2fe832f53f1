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
/// <param name="Path">Path template: literal segments, <c>{name}</c> for one segment, a trailing <c>{*rest}</c> for the rest.</param>
/// <param name="Access">Protected, public or skip.</param>
/// <param name="Scopes">Required scopes of a protected route.</param>
/// <param name="RequireAll">True: every scope is needed; false: any one.</param>
/// <param name="Line">Where it is in the file.</param>
public sealed record RouteRule(string Method, string Path, RouteAccess Access, IReadOnlyList<Scope> Scopes, bool RequireAll, int Line)
{
    internal string[] Segments { get; } = Path.Trim('/').Split('/', StringSplitOptions.None);

    /// <summary>True when the request's method and path match this rule exactly.</summary>
    public bool Matches(string method, ReadOnlySpan<char> path)
    {
        if (!string.Equals(method, Method, StringComparison.Ordinal))
        {
            return false;
        }

        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        // Trailing slash is significant: "/orders/" is not "/orders".
        bool ruleTrailing = Path.Length > 1 && Path.EndsWith('/');
        bool pathTrailing = path.Length > 1 && path[^1] == '/';
        if (ruleTrailing != pathTrailing && !Segments[^1].StartsWith("{*", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = path[1..];
        if (pathTrailing)
        {
            rest = rest[..^1];
        }

        for (int i = 0; i < Segments.Length; i++)
        {
            string template = Segments[i];
            if (template.StartsWith("{*", StringComparison.Ordinal))
            {
                return true;
            }

            int slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (template.StartsWith('{'))
            {
                if (segment.IsEmpty)
                {
                    return false;
                }
            }
            else if (!segment.SequenceEqual(template))
            {
                return false;
            }

            if (i == Segments.Length - 1)
            {
                return slash < 0;
            }

            if (slash < 0)
            {
                return false;
            }

            rest = rest[(slash + 1)..];
        }

        return false;
    }
}
