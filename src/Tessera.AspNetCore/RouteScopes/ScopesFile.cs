using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Tessera.Scopes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// A parsed route-scopes file. Accepts the seed middleware's format unchanged
/// (<c>platform_id</c>, <c>version</c>, <c>routes: [{method, path, scope | public: true | skip: true}]</c>)
/// plus documented extensions: <c>scopes: [..]</c> with <c>match: all|any</c>, wildcards in the
/// broker's scope grammar, and a trailing catch-all <c>{*rest}</c>. Validation is strict and names the line.
/// </summary>
public sealed partial class ScopesFile
{
    private ScopesFile(string platformId, string version, IReadOnlyList<RouteRule> routes)
    {
        PlatformId = platformId;
        Version = version;
        Routes = routes;
    }

    /// <summary>The platform this file is for.</summary>
    public string PlatformId { get; }

    /// <summary>The file's version label.</summary>
    public string Version { get; }

    /// <summary>The rules, in file order (first match wins).</summary>
    public IReadOnlyList<RouteRule> Routes { get; }

    /// <summary>The first rule matching the request, or null.</summary>
    public RouteRule? Match(string method, string path)
    {
        foreach (var rule in Routes)
        {
            if (rule.Matches(method, path))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>Parses YAML text; false with one message naming the line on any problem.</summary>
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

        string? platformId = null, version = null;
        YamlSequenceNode? routes = null;
        foreach (var (keyNode, value) in root.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "platform_id" when value is YamlScalarNode s && !string.IsNullOrWhiteSpace(s.Value):
                    platformId = s.Value;
                    break;
                case "version" when value is YamlScalarNode s:
                    version = s.Value ?? "";
                    break;
                case "routes" when value is YamlSequenceNode seq:
                    routes = seq;
                    break;
                default:
                    error = $"line {keyNode.Start.Line}: unexpected or malformed key '{key}' (expected platform_id, version, routes)";
                    return false;
            }
        }

        if (platformId is null || routes is null)
        {
            error = $"line {root.Start.Line}: platform_id and routes are required";
            return false;
        }

        var rules = new List<RouteRule>();
        foreach (var node in routes.Children)
        {
            if (!TryParseRoute(node, out var rule, out error))
            {
                return false;
            }

            rules.Add(rule);
        }

        file = new ScopesFile(platformId, version ?? "", rules);
        error = null;
        return true;
    }

    private static bool TryParseRoute(YamlNode node, [NotNullWhen(true)] out RouteRule? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        int line = (int)node.Start.Line;
        if (node is not YamlMappingNode map)
        {
            error = $"line {line}: a route must be a mapping with method and path";
            return false;
        }

        string? method = null, path = null, match = null;
        bool isPublic = false, skip = false;
        var scopes = new List<Scope>();
        foreach (var (keyNode, value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            string? scalar = (value as YamlScalarNode)?.Value;
            switch (key)
            {
                case "method" when scalar is not null:
                    method = scalar;
                    break;
                case "path" when scalar is not null:
                    path = scalar;
                    break;
                case "scope" when scalar is not null:
                    if (!Scope.TryParse(scalar, out var one, out string? scopeError))
                    {
                        error = $"line {keyNode.Start.Line}: {scopeError}";
                        return false;
                    }

                    scopes.Add(one);
                    break;
                case "scopes" when value is YamlSequenceNode list:
                    foreach (var item in list.Children)
                    {
                        if (item is not YamlScalarNode s || !Scope.TryParse(s.Value, out var parsed, out string? itemError))
                        {
                            error = $"line {item.Start.Line}: invalid scope in scopes";
                            return false;
                        }

                        scopes.Add(parsed);
                    }

                    break;
                case "match" when scalar is "all" or "any":
                    match = scalar;
                    break;
                case "public" when scalar is "true" or "false":
                    isPublic = scalar == "true";
                    break;
                case "skip" when scalar is "true" or "false":
                    skip = scalar == "true";
                    break;
                default:
                    error = $"line {keyNode.Start.Line}: unexpected or malformed key '{key}' in route";
                    return false;
            }
        }

        if (method is null || !MethodPattern().IsMatch(method))
        {
            error = $"line {line}: method is required and must be an upper-case HTTP method";
            return false;
        }

        if (path is null || !path.StartsWith('/') || !ValidTemplate(path))
        {
            error = $"line {line}: path is required, must start with '/', and may use {{name}} (identifier-shaped) for one segment and a trailing {{*rest}}";
            return false;
        }

        int kinds = (isPublic ? 1 : 0) + (skip ? 1 : 0) + (scopes.Count > 0 ? 1 : 0);
        if (kinds != 1)
        {
            error = $"line {line}: a route needs exactly one of scope/scopes, public: true or skip: true";
            return false;
        }

        if (match is not null && scopes.Count < 2)
        {
            error = $"line {line}: match applies only to a route with several scopes";
            return false;
        }

        var access = isPublic ? RouteAccess.Public : skip ? RouteAccess.Skip : RouteAccess.Protected;
        rule = new RouteRule(method, path, access, scopes, match != "any", line);
        error = null;
        return true;
    }

    private static bool ValidTemplate(string path)
    {
        var segments = path.Trim('/').Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            string s = segments[i];
            if (s.StartsWith('{'))
            {
                bool catchAll = s.StartsWith("{*", StringComparison.Ordinal);
                string name = catchAll ? s[2..^1] : s[1..^1];
                if (!s.EndsWith('}') || !IdentifierPattern().IsMatch(name) || (catchAll && i != segments.Length - 1))
                {
                    return false;
                }
            }
            else if (s.Contains('{', StringComparison.Ordinal) || s.Contains('}', StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("^[A-Z]+$", RegexOptions.CultureInvariant)]
    private static partial Regex MethodPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
