using System.Text;
using System.Text.RegularExpressions;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// A route path compiled for exact matching, with the seed middleware's semantics: literal text
/// matches itself (case-sensitive), <c>{name}</c> with an identifier-shaped name matches one
/// non-empty segment (also inside a segment, as in <c>{id}.json</c>), braces around anything
/// else are literal text (so <c>{path:path}</c> never matches a real path), and a trailing slash
/// is significant. Tessera's one extension: a last segment <c>{*name}</c> matches the rest.
/// </summary>
internal sealed partial class RouteTemplate
{
    private readonly Segment[] _segments;
    private readonly bool _trailingSlash;

    private RouteTemplate(Segment[] segments, bool trailingSlash)
    {
        _segments = segments;
        _trailingSlash = trailingSlash;
    }

    private enum Kind
    {
        Literal,
        Parameter,
        Pattern,
        CatchAll,
    }

    /// <summary>Compiles <paramref name="path"/>; false when a catch-all is not the last segment.</summary>
    public static bool TryCreate(string path, out RouteTemplate template, out string? error)
    {
        template = Create(path);
        for (int i = 0; i < template._segments.Length - 1; i++)
        {
            if (template._segments[i].Kind == Kind.CatchAll)
            {
                error = "a catch-all segment {*name} must be the last segment of the path";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>Compiles <paramref name="path"/> without validation (a misplaced catch-all still matches the rest).</summary>
    public static RouteTemplate Create(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        bool trailing = path.Length > 1 && path.EndsWith('/');
        string body = path.StartsWith('/') ? path[1..] : path;
        if (trailing)
        {
            body = body[..^1];
        }

        return new RouteTemplate([.. body.Split('/').Select(Compile)], trailing);
    }

    /// <summary>True when <paramref name="path"/> (the request path, without query) matches exactly.</summary>
    public bool Matches(ReadOnlySpan<char> path)
    {
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        bool pathTrailing = path.Length > 1 && path[^1] == '/';
        bool catchAll = _segments[^1].Kind == Kind.CatchAll;
        if (pathTrailing != _trailingSlash && !catchAll)
        {
            return false;
        }

        var rest = path[1..];
        if (pathTrailing)
        {
            rest = rest[..^1];
        }

        for (int i = 0; i < _segments.Length; i++)
        {
            var template = _segments[i];
            if (template.Kind == Kind.CatchAll)
            {
                return !rest.IsEmpty;
            }

            int slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            bool ok = template.Kind switch
            {
                Kind.Parameter => !segment.IsEmpty,
                Kind.Pattern => template.Pattern!.IsMatch(segment),
                _ => segment.SequenceEqual(template.Literal),
            };
            if (!ok)
            {
                return false;
            }

            if (i == _segments.Length - 1)
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

    private static Segment Compile(string segment)
    {
        if (segment.Length > 3 && segment.StartsWith("{*", StringComparison.Ordinal) && segment.EndsWith('}') && IdentifierPattern().IsMatch(segment[2..^1]))
        {
            return new Segment(Kind.CatchAll, segment, null);
        }

        var parameters = ParameterPattern().Matches(segment);
        if (parameters.Count == 0)
        {
            return new Segment(Kind.Literal, segment, null);
        }

        if (parameters.Count == 1 && parameters[0].Length == segment.Length)
        {
            return new Segment(Kind.Parameter, segment, null);
        }

        // Parameters mixed with literal text, e.g. "{id}.json" or "v{major}": each parameter is one
        // or more characters of the segment. NonBacktracking keeps "{a}{b}{c}…" linear.
        var pattern = new StringBuilder("^");
        int cursor = 0;
        foreach (Match parameter in parameters)
        {
            pattern.Append(Regex.Escape(segment[cursor..parameter.Index])).Append("[^/]+");
            cursor = parameter.Index + parameter.Length;
        }

        pattern.Append(Regex.Escape(segment[cursor..])).Append(@"\z");
        return new Segment(Kind.Pattern, segment, new Regex(pattern.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking));
    }

    [GeneratedRegex(@"\{[A-Za-z_][A-Za-z0-9_]*\}", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    private readonly record struct Segment(Kind Kind, string Literal, Regex? Pattern);
}
