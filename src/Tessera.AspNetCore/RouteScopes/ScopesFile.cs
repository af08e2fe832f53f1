using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Tessera.Routes;
using Tessera.Scopes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// A parsed route-scopes file. Accepts the seed middleware's format unchanged
/// (<c>platform_id</c>, <c>version</c>, <c>routes: [{method, path, scope | public: true | skip: true}]</c>)
/// plus documented extensions: <c>scopes: [..]</c> with <c>match: all|any</c>, wildcards in the
/// broker's scope grammar, and a trailing catch-all <c>{*rest}</c>. Keys it does not know are
/// ignored, as the seed middleware ignores them; a known key with a wrong value is refused with a
/// message naming <c>routes[i]</c> and the line.
/// <para>
/// Paths match as ASP.NET Core's router matches them, and the rule that applies is the one the
/// router would rank first (<see cref="RouteTemplate.ComparePrecedence"/>: literal before
/// parameter before catch-all), whatever the file order; file order only breaks ties. So the rule
/// checked is the rule of the endpoint that runs: <c>GET /orders/EXPORT</c> gets the rule of
/// <c>/orders/export</c>, not of <c>/orders/{id}</c> listed before it.
/// </para>
/// </summary>
public sealed partial class ScopesFile
{
    // The rules in the order they are tried: by precedence, then file order. Sorted once at load.
    private readonly RouteRule[] _byPrecedence;

    private ScopesFile(string platformId, int version, IReadOnlyList<RouteRule> routes)
    {
        PlatformId = platformId;
        Version = version;
        Routes = routes;
        _byPrecedence = InPrecedenceOrder(routes);
    }

    /// <summary>The platform this file is for.</summary>
    public string PlatformId { get; }

    /// <summary>The file's version: a positive integer.</summary>
    public int Version { get; }

    /// <summary>The rules, in file order. May be empty: then every request is a 404.</summary>
    public IReadOnlyList<RouteRule> Routes { get; }

    /// <summary>
    /// The rule for the request: of the rules whose method and path match, the one of highest
    /// precedence (the one whose endpoint the router runs), the earlier in the file on a tie; null
    /// when none matches. Allocation-free.
    /// </summary>
    public RouteRule? Match(string method, string path)
    {
        foreach (var rule in _byPrecedence)
        {
            if (rule.Matches(method, path))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>A stable sort by precedence: <see cref="Array.Sort(Array)"/> is not stable, so file order is the last key.</summary>
    private static RouteRule[] InPrecedenceOrder(IReadOnlyList<RouteRule> routes)
    {
        var indexed = new (RouteRule Rule, int Index)[routes.Count];
        for (int i = 0; i < indexed.Length; i++)
        {
            indexed[i] = (routes[i], i);
        }

        Array.Sort(indexed, static (a, b) =>
        {
            int byPrecedence = (a.Rule.Template, b.Rule.Template) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                var (x, y) => x.ComparePrecedence(y),
            };
            return byPrecedence != 0 ? byPrecedence : a.Index.CompareTo(b.Index);
        });

        var ordered = new RouteRule[indexed.Length];
        for (int i = 0; i < ordered.Length; i++)
        {
            ordered[i] = indexed[i].Rule;
        }

        return ordered;
    }

    /// <summary>Parses YAML text; false with one message (naming <c>routes[i]</c> and the line) on any problem.</summary>
    public static bool TryParse(string yaml, [NotNullWhen(true)] out ScopesFile? file, [NotNullWhen(false)] out string? error)
    {
        file = null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            error = $"line {ex.Start.Line}: not valid YAML ({ex.Message})";
            return false;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            error = "line 1: the file must be one YAML mapping with platform_id, version and routes";
            return false;
        }

        string? platformId = null;
        int? version = null;
        YamlSequenceNode? routes = null;
        foreach (var (keyNode, value) in root.Children)
        {
            long line = keyNode.Start.Line;
            switch ((keyNode as YamlScalarNode)?.Value)
            {
                case "platform_id":
                    if (value is not YamlScalarNode { Value: { } id } || IsNull(value) || string.IsNullOrWhiteSpace(id))
                    {
                        error = $"line {line}: platform_id must be a non-empty string";
                        return false;
                    }

                    platformId = id.Trim();
                    break;
                case "version":
                    if (!TryReadVersion(value, out int v))
                    {
                        error = $"line {line}: version must be a positive integer";
                        return false;
                    }

                    version = v;
                    break;
                case "routes":
                    if (value is not YamlSequenceNode list)
                    {
                        error = $"line {line}: routes must be a list (write routes: [] for none)";
                        return false;
                    }

                    routes = list;
                    break;
            }
        }

        string? missing = platformId is null ? "platform_id" : version is null ? "version" : routes is null ? "routes" : null;
        if (missing is not null)
        {
            error = $"line {root.Start.Line}: {missing} is required (the file needs platform_id, version and routes)";
            return false;
        }

        var rules = new List<RouteRule>();
        for (int i = 0; i < routes!.Children.Count; i++)
        {
            if (!TryParseRoute(routes.Children[i], out var rule, out long line, out string? problem))
            {
                error = $"routes[{i}] (line {line}): {problem}";
                return false;
            }

            if (Conflict(rules, rule) is { } earlier)
            {
                error = $"routes[{i}] (line {rule.Line}): {rule.Method} {rule.Path} matches the same requests as routes[{rules.IndexOf(earlier)}] " +
                    $"(line {earlier.Line}, {earlier.Path}) but asks something else; paths match whatever the letter case, a trailing slash " +
                    "and the parameter names, so keep one rule";
                return false;
            }

            rules.Add(rule);
        }

        file = new ScopesFile(platformId!, version!.Value, rules);
        error = null;
        return true;
    }

    // Two rules for the same method whose paths match the same requests (they differ only in letter
    // case, a trailing slash or parameter names) where one would silently shadow the other: the
    // author most likely meant each for its own spelling, which the router does not tell apart.
    // Exact repeats of a rule are harmless and still load.
    private static RouteRule? Conflict(List<RouteRule> earlier, RouteRule rule)
    {
        foreach (var other in earlier)
        {
            if (string.Equals(other.Method, rule.Method, StringComparison.Ordinal) &&
                other.Template!.IsEquivalentTo(rule.Template!) &&
                (other.Access != rule.Access || other.RequireAll != rule.RequireAll || !SameScopes(other.Scopes, rule.Scopes)))
            {
                return other;
            }
        }

        return null;
    }

    private static bool SameScopes(IReadOnlyList<Scope> a, IReadOnlyList<Scope> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i].Value, b[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseRoute(YamlNode node, [NotNullWhen(true)] out RouteRule? rule, out long errorLine, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        errorLine = 0;
        long line = node.Start.Line;
        if (node is not YamlMappingNode map)
        {
            (errorLine, error) = (line, "a route must be a mapping with method and path");
            return false;
        }

        string? method = null, path = null, match = null;
        bool isPublic = false, skip = false;
        var scopes = new List<Scope>();
        foreach (var (keyNode, value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            long at = keyNode.Start.Line;
            string? scalar = value is YamlScalarNode s && !IsNull(value) ? s.Value : null;
            if (key is "scope" or "scopes" or "match" or "public" or "skip" && IsNull(value))
            {
                // An empty value is the key left out, as in the seed middleware.
                continue;
            }

            switch (key)
            {
                case "method":
                    method = scalar;
                    break;
                case "path":
                    path = scalar;
                    break;
                case "scope":
                    if (!Scope.TryParse(scalar?.Trim(), out var one, out string? scopeError))
                    {
                        (errorLine, error) = (at, $"scope: {scopeError}");
                        return false;
                    }

                    scopes.Add(one);
                    break;
                case "scopes":
                    if (value is not YamlSequenceNode list || list.Children.Count == 0)
                    {
                        (errorLine, error) = (at, "scopes must be a non-empty list of scopes");
                        return false;
                    }

                    foreach (var item in list.Children)
                    {
                        if (item is not YamlScalarNode { Value: { } text } || !Scope.TryParse(text.Trim(), out var parsed, out _))
                        {
                            (errorLine, error) = (item.Start.Line, "invalid scope in scopes");
                            return false;
                        }

                        scopes.Add(parsed);
                    }

                    break;
                case "match":
                    if (scalar is not ("all" or "any"))
                    {
                        (errorLine, error) = (at, "match must be all or any");
                        return false;
                    }

                    match = scalar;
                    break;
                case "public" or "skip":
                    if (!TryReadBool(value, out bool flag))
                    {
                        (errorLine, error) = (at, $"{key} must be true or false");
                        return false;
                    }

                    isPublic = key == "public" ? flag : isPublic;
                    skip = key == "skip" ? flag : skip;
                    break;
            }
        }

        if (method is null || !MethodPattern().IsMatch(method))
        {
            (errorLine, error) = (line, "method is required and must be an upper-case HTTP method such as GET");
            return false;
        }

        if (path is null || !path.StartsWith('/'))
        {
            (errorLine, error) = (line, "path is required and must start with '/'");
            return false;
        }

        if (!RouteTemplate.TryParse(path, out _, out string? templateError))
        {
            (errorLine, error) = (line, $"path {templateError}");
            return false;
        }

        int kinds = (isPublic ? 1 : 0) + (skip ? 1 : 0) + (scopes.Count > 0 ? 1 : 0);
        if (kinds != 1)
        {
            (errorLine, error) = (line, "a route needs exactly one of scope/scopes, public: true or skip: true");
            return false;
        }

        if (match is not null && scopes.Count < 2)
        {
            (errorLine, error) = (line, "match applies only to a route with several scopes");
            return false;
        }

        var access = isPublic ? RouteAccess.Public : skip ? RouteAccess.Skip : RouteAccess.Protected;
        rule = new RouteRule(method, path, access, scopes, match != "any", (int)line);
        error = null;
        return true;
    }

    // A positive integer, as the seed middleware requires (true/false, 0, 1.5 are refused). The
    // quoted form "1" is accepted too: Tessera's own samples wrote it so.
    private static bool TryReadVersion(YamlNode node, out int version)
    {
        version = 0;
        return node is YamlScalarNode { Value: { } text } &&
               VersionPattern().IsMatch(text) &&
               int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
    }

    // YAML booleans as the seed middleware's loader (YAML 1.1) reads them; a quoted "true" is a string.
    private static bool TryReadBool(YamlNode node, out bool value)
    {
        value = false;
        if (node is not YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text })
        {
            return false;
        }

        switch (text)
        {
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON":
                value = true;
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF":
                return true;
            default:
                return false;
        }
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    [GeneratedRegex("^[A-Z]+$", RegexOptions.CultureInvariant)]
    private static partial Regex MethodPattern();

    [GeneratedRegex("^[1-9][0-9]{0,8}$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
