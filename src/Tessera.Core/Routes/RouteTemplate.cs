using System.Diagnostics.CodeAnalysis;

namespace Tessera.Routes;

/// <summary>
/// A route path of a scopes file, compiled to match a request path <b>the way ASP.NET Core's
/// endpoint router does</b>, so that the rule a verifier applies is the rule of the endpoint that
/// will run. A verifier that matched more strictly than the router (case-sensitive literals, a
/// significant trailing slash) let <c>/orders/EXPORT</c> or <c>/orders/</c> fall through to a
/// weaker rule while the router still ran the protected handler.
/// <list type="bullet">
/// <item>Literal text matches ordinal-ignore-case (<c>/orders/export</c> matches <c>/Orders/EXPORT</c>),
/// as the router's jump tables and complex-segment matcher compare.</item>
/// <item><c>{name}</c> with an identifier-shaped name matches one non-empty segment, or a non-empty part of
/// one (<c>{name}.json</c>, matched right to left as the router does); braces around anything else
/// are literal text (<c>{path:path}</c>). Two parameters next to each other are refused.</item>
/// <item>A last segment <c>{*name}</c> matches the rest of the path: zero or more segments, so
/// <c>/files/{*rest}</c> also matches <c>/files</c> and <c>/files/</c>.</item>
/// <item>One trailing slash is ignored on both sides (<c>/orders/</c> is <c>/orders</c>); an empty segment
/// elsewhere (<c>/orders//x</c>, <c>/orders//</c>) matches only a catch-all. A template with an
/// empty segment is refused.</item>
/// </list>
/// When several templates match, the router runs the endpoint of lowest inbound precedence, and so
/// should a verifier: see <see cref="ComparePrecedence"/>. The request path is the decoded
/// <c>HttpRequest.Path</c> the router sees (<c>%45</c> is already <c>E</c>; <c>%2F</c> stays inside its segment).
/// </summary>
public sealed class RouteTemplate
{
    private readonly Segment[] _segments;

    private RouteTemplate(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>How a segment matches; the value is its inbound precedence digit in ASP.NET Core's <c>RoutePrecedence</c>.</summary>
    private enum Kind : byte
    {
        Literal = 1,
        Complex = 2,
        Parameter = 3,
        CatchAll = 5,
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>
    /// Compiles <paramref name="path"/>; false with a reason when it does not start with <c>/</c>, has
    /// an empty segment, a catch-all that is not the last segment, or two parameters side by side.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? path, [NotNullWhen(true)] out RouteTemplate? template, [NotNullWhen(false)] out string? error)
    {
        template = null;
        if (path is null || !path.StartsWith('/'))
        {
            error = "must start with '/'";
            return false;
        }

        if (path.Length == 1)
        {
            template = new RouteTemplate(path, []);
            error = null;
            return true;
        }

        // One trailing slash is ignored, as ASP.NET Core's template parser and request tokenizer ignore it.
        string body = path.EndsWith('/') ? path[1..^1] : path[1..];
        string[] texts = body.Split('/');
        var segments = new Segment[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            if (texts[i].Length == 0)
            {
                error = "has an empty segment ('//'), which the router never matches";
                return false;
            }

            if (!TryCompile(texts[i], out segments[i], out error))
            {
                return false;
            }

            if (segments[i].Kind == Kind.CatchAll && i != texts.Length - 1)
            {
                error = "has a catch-all segment {*name} that is not the last segment of the path";
                return false;
            }
        }

        template = new RouteTemplate(path, segments);
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="path"/> (the request path, without query) matches. An empty path
    /// (a path base took all of it) is the root, as for the router. Allocation-free.
    /// </summary>
    public bool Matches(ReadOnlySpan<char> path)
    {
        if (path.IsEmpty)
        {
            path = "/";
        }

        if (path[0] != '/')
        {
            return false;
        }

        // Segments as ASP.NET Core's tokenizer cuts them: split after the leading '/', and a final
        // empty piece (a trailing slash) is dropped; other empty pieces are segments.
        var rest = path[1..];
        var segments = _segments;
        int i = 0;
        while (true)
        {
            if (i < segments.Length && segments[i].Kind == Kind.CatchAll)
            {
                return true;
            }

            ReadOnlySpan<char> segment;
            int slash = rest.IndexOf('/');
            if (slash >= 0)
            {
                segment = rest[..slash];
                rest = rest[(slash + 1)..];
            }
            else if (!rest.IsEmpty)
            {
                segment = rest;
                rest = default;
            }
            else
            {
                return i == segments.Length;
            }

            if (i == segments.Length || !segments[i].Matches(segment))
            {
                return false;
            }

            i++;
        }
    }

    /// <summary>
    /// Orders templates as ASP.NET Core's router ranks endpoints (<c>RoutePrecedence.ComputeInbound</c>):
    /// segment by segment from the left, literal before complex (<c>{name}.json</c>) before parameter
    /// before catch-all, and a template that ends before another before it. Negative: this template
    /// is tried first. Zero: the same rank (a scopes file then keeps file order).
    /// </summary>
    public int ComparePrecedence(RouteTemplate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int length = Math.Max(_segments.Length, other._segments.Length);
        for (int i = 0; i < length; i++)
        {
            int mine = i < _segments.Length ? (int)_segments[i].Kind : 0;
            int theirs = i < other._segments.Length ? (int)other._segments[i].Kind : 0;
            if (mine != theirs)
            {
                return mine.CompareTo(theirs);
            }
        }

        return 0;
    }

    /// <summary>
    /// True when both templates match exactly the same request paths: they differ at most in letter
    /// case, a trailing slash, or parameter names (<c>/orders/{id}/</c> and <c>/Orders/{key}</c>).
    /// </summary>
    public bool IsEquivalentTo(RouteTemplate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_segments.Length != other._segments.Length)
        {
            return false;
        }

        for (int i = 0; i < _segments.Length; i++)
        {
            if (!_segments[i].IsEquivalentTo(other._segments[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    private static bool TryCompile(string text, out Segment segment, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (text.Length > 3 && text.StartsWith("{*", StringComparison.Ordinal) && text.EndsWith('}') && IsIdentifier(text.AsSpan(2, text.Length - 3)))
        {
            segment = new Segment(Kind.CatchAll, text, null);
            return true;
        }

        // Split into literal text and identifier-shaped {name} parameters; other braces stay literal.
        var parts = new List<Part>();
        int literalStart = 0;
        int at = 0;
        while (at < text.Length)
        {
            int open = text.IndexOf('{', at);
            if (open < 0)
            {
                break;
            }

            int close = text.IndexOf('}', open + 1);
            if (close < 0)
            {
                break;
            }

            if (!IsIdentifier(text.AsSpan(open + 1, close - open - 1)))
            {
                at = open + 1;
                continue;
            }

            if (open > literalStart)
            {
                parts.Add(new Part(false, text[literalStart..open]));
            }
            else if (parts.Count > 0 && parts[^1].IsParameter)
            {
                segment = default;
                error = $"has two parameters side by side in '{text}', which leaves where one ends undefined";
                return false;
            }

            parts.Add(new Part(true, ""));
            literalStart = at = close + 1;
        }

        if (literalStart < text.Length)
        {
            parts.Add(new Part(false, text[literalStart..]));
        }

        segment = parts switch
        {
            [{ IsParameter: false }] => new Segment(Kind.Literal, text, null),
            [{ IsParameter: true }] => new Segment(Kind.Parameter, text, null),
            _ => new Segment(Kind.Complex, text, [.. parts]),
        };
        return true;
    }

    private static bool IsIdentifier(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One part of a complex segment: a parameter or literal text.</summary>
    private readonly record struct Part(bool IsParameter, string Literal);

    private readonly record struct Segment(Kind Kind, string Literal, Part[]? Parts)
    {
        public bool Matches(ReadOnlySpan<char> segment) => Kind switch
        {
            // An empty segment reaches only a catch-all in the router (its jump tables send it to
            // the exit), never a literal or a parameter.
            _ when segment.IsEmpty => false,
            // Same length first, and the exact spelling before the case-folding compare: most
            // requests spell a route as written, and most literals differ in length.
            Kind.Literal => segment.Length == Literal.Length && (segment.SequenceEqual(Literal) || segment.Equals(Literal, StringComparison.OrdinalIgnoreCase)),
            Kind.Parameter => true,
            Kind.Complex => MatchesComplex(Parts!, segment),
            _ => true,
        };

        public bool IsEquivalentTo(Segment other)
        {
            if (Kind != other.Kind)
            {
                return false;
            }

            switch (Kind)
            {
                case Kind.Literal:
                    return string.Equals(Literal, other.Literal, StringComparison.OrdinalIgnoreCase);
                case Kind.Complex:
                    if (Parts!.Length != other.Parts!.Length)
                    {
                        return false;
                    }

                    for (int i = 0; i < Parts.Length; i++)
                    {
                        if (Parts[i].IsParameter != other.Parts[i].IsParameter ||
                            !string.Equals(Parts[i].Literal, other.Parts[i].Literal, StringComparison.OrdinalIgnoreCase))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return true;
            }
        }

        // The router's complex-segment algorithm (RoutePatternMatcher.MatchComplexSegmentCore), kept
        // step for step so that it accepts exactly what the router accepts: from the right, each
        // literal is the last occurrence (ignoring case) left of what was consumed, leaving at least
        // one character for a pending parameter; every parameter gets at least one character; a
        // literal at either end must sit at that end.
        private static bool MatchesComplex(Part[] parts, ReadOnlySpan<char> segment)
        {
            int lastIndex = segment.Length;
            bool parameterPending = false;
            string? lastLiteral = null;
            for (int index = parts.Length - 1; index >= 0; index--)
            {
                int newLastIndex = lastIndex;
                var part = parts[index];
                if (part.IsParameter)
                {
                    parameterPending = true;
                }
                else
                {
                    lastLiteral = part.Literal;
                    int startIndex = parameterPending ? lastIndex - 1 : lastIndex;
                    if (startIndex <= 0)
                    {
                        return false;
                    }

                    int found = segment[..startIndex].LastIndexOf(part.Literal, StringComparison.OrdinalIgnoreCase);
                    if (found < 0 || (index == parts.Length - 1 && found + part.Literal.Length != segment.Length))
                    {
                        return false;
                    }

                    newLastIndex = found;
                }

                if (parameterPending && ((lastLiteral is not null && !part.IsParameter) || index == 0))
                {
                    int length = lastLiteral is null || (index == 0 && part.IsParameter)
                        ? lastIndex
                        : lastIndex - (newLastIndex + lastLiteral.Length);
                    if (length <= 0)
                    {
                        return false;
                    }

                    parameterPending = false;
                    lastLiteral = null;
                }

                lastIndex = newLastIndex;
            }

            return lastIndex == 0 || parts[0].IsParameter;
        }
    }
}
