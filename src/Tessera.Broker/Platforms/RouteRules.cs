using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Routes;
using Tessera.Scopes;

namespace Tessera.Broker.Platforms;

/// <summary>
/// A platform's route rules: validated when the operator registers them (with the rules of the
/// verification library's scopes file) and rendered as that file.
/// </summary>
internal static partial class RouteRules
{
    public const int MaxRoutes = 1000;

    /// <summary>Checks every rule; the failure names <c>routes[i]</c>.</summary>
    public static Failure? Validate(RouteRuleDto?[] routes, IReadOnlyList<string> platformScopes)
    {
        if (routes.Length > MaxRoutes)
        {
            return new Failure(ErrorCatalog.InvalidRequest, $"routes: at most {MaxRoutes} rules");
        }

        var defined = ScopeSet.TryParse(platformScopes, out var set, out _) ? set : ScopeSet.Empty;
        var templates = new RouteTemplate[routes.Length];
        for (int i = 0; i < routes.Length; i++)
        {
            if (Check(routes[i], defined, out templates[i]) is { } problem)
            {
                return new Failure(ErrorCatalog.InvalidRequest, $"routes[{i}]: {problem}");
            }

            for (int j = 0; j < i; j++)
            {
                // The verification library refuses such a pair too: one rule would silently shadow the
                // other, whose author meant it for its own spelling. A plain repeat is harmless.
                if (string.Equals(routes[j]!.Method, routes[i]!.Method, StringComparison.Ordinal) && templates[j].IsEquivalentTo(templates[i]) && !SameAsk(routes[j]!, routes[i]!))
                {
                    return new Failure(
                        ErrorCatalog.InvalidRequest,
                        $"routes[{i}]: {routes[i]!.Method} {Printable(routes[i]!.Path!)} matches the same requests as routes[{j}] ({Printable(routes[j]!.Path!)}) but asks something else: " +
                        "paths match whatever the letter case, a trailing slash and the parameter names, as ASP.NET Core's router matches them; keep one rule");
                }
            }
        }

        return null;
    }

    private static bool SameAsk(RouteRuleDto a, RouteRuleDto b) =>
        (a.Public == true) == (b.Public == true) &&
        (a.Skip == true) == (b.Skip == true) &&
        (a.Match ?? "all") == (b.Match ?? "all") &&
        (a.Scope is null ? a.Scopes ?? [] : [a.Scope]).SequenceEqual(b.Scope is null ? b.Scopes ?? [] : [b.Scope], StringComparer.Ordinal);

    private static string? Check(RouteRuleDto? rule, ScopeSet defined, out RouteTemplate template)
    {
        template = null!;
        if (rule is null)
        {
            return "must be an object";
        }

        if (rule.Method is null || rule.Method.Length > 16 || !MethodPattern().IsMatch(rule.Method))
        {
            return "method is required and must be an upper-case HTTP method such as GET";
        }

        if (rule.Path is null || rule.Path.Length > 1024 || rule.Path.Any(char.IsControl) || !RouteTemplate.TryParse(rule.Path, out var parsed, out _))
        {
            return "path is required: it starts with '/', has no empty segment ('//'), and may use {name} (identifier-shaped) for one segment " +
                "or part of one (never two side by side) and {*rest} only as the last segment";
        }

        template = parsed;

        var scopes = new List<string>();
        if (rule.Scope is not null)
        {
            scopes.Add(rule.Scope);
        }

        if (rule.Scopes is not null)
        {
            if (rule.Scopes.Length == 0 || rule.Scopes.Any(s => s is null))
            {
                return "scopes must be a non-empty list of scope strings";
            }

            scopes.AddRange(rule.Scopes!);
        }

        int kinds = (rule.Public == true ? 1 : 0) + (rule.Skip == true ? 1 : 0) + (scopes.Count > 0 ? 1 : 0);
        if (kinds != 1 || (rule.Scope is not null && rule.Scopes is not null))
        {
            return "a route needs exactly one of scope, scopes, public: true or skip: true";
        }

        if (rule.Match is not null && (rule.Match is not ("all" or "any") || scopes.Count < 2))
        {
            return "match is all or any, and applies only to a route with several scopes";
        }

        foreach (string s in scopes)
        {
            if (!Scope.TryParse(s, out var scope, out string? error))
            {
                return $"invalid scope '{Printable(s)}': {error}";
            }

            if (defined.Count > 0 && !defined.Covers(scope))
            {
                return $"scope '{scope.Value}' is not one of the platform's scopes";
            }
        }

        return null;
    }

    /// <summary>
    /// Why the rules cannot be expressed in the MudraID middleware's file (one exact scope per
    /// route, methods GET POST PUT PATCH DELETE HEAD OPTIONS, no catch-all), or null when they can.
    /// A single-element <c>scopes</c> list is written as <c>scope</c>.
    /// </summary>
    public static string? MudraIdProblem(IReadOnlyList<RouteRuleDto> routes)
    {
        for (int i = 0; i < routes.Count; i++)
        {
            var r = routes[i];
            if (r.Method is not ("GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD" or "OPTIONS"))
            {
                return $"routes[{i}]: method {r.Method} is not one MudraID accepts";
            }

            if (r.Path!.Contains("{*", StringComparison.Ordinal))
            {
                return $"routes[{i}]: a catch-all segment {{*name}}";
            }

            if (r.Scopes is { Length: > 1 })
            {
                return $"routes[{i}]: several scopes on one route";
            }

            string? scope = r.Scope ?? r.Scopes?[0];
            if (scope is not null && scope.Split(':').Contains("*"))
            {
                return $"routes[{i}]: a wildcard scope ({scope}), which MudraID matches only literally";
            }
        }

        return null;
    }

    public static string Serialize(RouteRuleDto?[] routes) =>
        JsonSerializer.Serialize(routes.Select(Normalize).ToArray(), BrokerJson.Default.RouteRuleDtoArray);

    public static RouteRuleDto[] Deserialize(string json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize(json, BrokerJson.Default.RouteRuleDtoArray) ?? [];

    private static RouteRuleDto Normalize(RouteRuleDto? r) => new()
    {
        Method = r!.Method,
        Path = r.Path,
        Scope = r.Scope,
        Scopes = r.Scopes,
        Match = r.Match,
        Public = r.Public == true ? true : null,
        Skip = r.Skip == true ? true : null,
    };

    /// <summary>
    /// Renders the scopes file. Every string is written as a YAML double-quoted scalar with JSON
    /// escaping (a subset of YAML's), so no value can change the document's structure. Rules are
    /// written in the order the verifier tries them (ASP.NET Core's route precedence: literal
    /// before parameter before catch-all, stored order on a tie), so a reader that takes the first
    /// matching rule, as MudraID's middleware does, picks the same rule as Tessera.AspNetCore.
    /// </summary>
    public static string RenderYaml(string platformId, int version, IReadOnlyList<RouteRuleDto> routes)
    {
        routes = InPrecedenceOrder(routes);
        var sb = new StringBuilder();
        sb.Append("# Generated by the Tessera broker. Edit the platform's routes at the broker, not this file.\n");
        sb.Append("platform_id: ").Append(Quote(platformId)).Append('\n');
        sb.Append("version: ").Append(version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (routes.Count == 0)
        {
            sb.Append("routes: []\n");
            return sb.ToString();
        }

        sb.Append("routes:\n");
        foreach (var r in routes)
        {
            sb.Append("  - method: ").Append(Quote(r.Method!)).Append('\n');
            sb.Append("    path: ").Append(Quote(r.Path!)).Append('\n');
            if (r.Public == true)
            {
                sb.Append("    public: true\n");
            }
            else if (r.Skip == true)
            {
                sb.Append("    skip: true\n");
            }
            else if (r.Scope is not null || r.Scopes is { Length: 1 })
            {
                sb.Append("    scope: ").Append(Quote(r.Scope ?? r.Scopes![0]!)).Append('\n');
            }
            else
            {
                sb.Append("    scopes: [").AppendJoin(", ", r.Scopes!.Select(s => Quote(s!))).Append("]\n");
                if (r.Match is not null)
                {
                    sb.Append("    match: ").Append(r.Match).Append('\n');
                }
            }
        }

        return sb.ToString();
    }

    // A stable sort: file order is the last key. A stored path that no longer compiles (stored
    // before the template rules tightened) goes last, and the verifier will name it at load.
    private static RouteRuleDto[] InPrecedenceOrder(IReadOnlyList<RouteRuleDto> routes)
    {
        var keyed = new (RouteRuleDto Rule, RouteTemplate? Template, int Index)[routes.Count];
        for (int i = 0; i < keyed.Length; i++)
        {
            keyed[i] = (routes[i], RouteTemplate.TryParse(routes[i].Path, out var template, out _) ? template : null, i);
        }

        Array.Sort(keyed, static (a, b) =>
        {
            int byPrecedence = (a.Template, b.Template) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                var (x, y) => x.ComparePrecedence(y),
            };
            return byPrecedence != 0 ? byPrecedence : a.Index.CompareTo(b.Index);
        });
        return [.. keyed.Select(k => k.Rule)];
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, BrokerJson.Default.String);

    private static string Printable(string value) =>
        new([.. value.Take(64).Select(c => c is >= ' ' and < (char)127 ? c : '?')]);

    [GeneratedRegex("^[A-Z]+$", RegexOptions.CultureInvariant)]
    private static partial Regex MethodPattern();
}
