using Tessera.AspNetCore.RouteScopes;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// The scopes file: the seed middleware's format (exact methods, <c>{name}</c> only when
/// identifier-shaped, unknown keys ignored, empty routes valid, positive integer version) plus
/// Tessera's extensions, and load errors that name <c>routes[i]</c> and the line. Paths match as
/// ASP.NET Core's router matches them (letter case and one trailing slash ignored, the most
/// specific rule first), not case-sensitively as MudraID's middleware did: security findings 17.1
/// and 18.3 showed that a verifier stricter than the router lets a request reach a protected
/// handler under a weaker rule.
/// </summary>
public sealed class ScopesFileTests
{
    private const string Head = "platform_id: p\nversion: 1\nroutes:\n";

    [Fact]
    public void TryParse_AcceptsTheSampleFile()
    {
        string yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "tessera_scopes.yaml"));

        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);
        Assert.Equal("orders-api", file.PlatformId);
        Assert.Equal(1, file.Version);
        Assert.Equal(5, file.Routes.Count);
        Assert.Equal(RouteAccess.Public, file.Match("GET", "/health")!.Access);
        Assert.Equal("orders:read", Assert.Single(file.Match("GET", "/orders/42")!.Scopes).Value);
        Assert.Null(file.Match("HEAD", "/orders"));
        Assert.Equal("/orders", file.Match("GET", "/orders/")!.Path);
        Assert.Equal("/orders", file.Match("GET", "/Orders")!.Path);
        Assert.Null(file.Match("GET", "/orders/42/items"));
    }

    [Theory]
    [InlineData("head_is_not_get", "HEAD", "/items", false)]
    [InlineData("options_is_not_get", "OPTIONS", "/items", false)]
    [InlineData("lower_case_method", "get", "/items", false)]
    [InlineData("exact", "GET", "/items", true)]
    [InlineData("trailing_slash_ignored", "GET", "/items/", true)]
    [InlineData("two_trailing_slashes_are_an_empty_segment", "GET", "/items//", false)]
    [InlineData("upper_case_path", "GET", "/Items", true)]
    [InlineData("query_is_not_part_of_the_path", "GET", "/items?x=1", false)]
    [InlineData("double_leading_slash", "GET", "//items", false)]
    [InlineData("param_one_segment", "GET", "/items/42", true)]
    [InlineData("param_not_two_segments", "GET", "/items/42/x", false)]
    [InlineData("param_not_empty", "GET", "/items//", false)]
    [InlineData("param_trailing_slash_ignored", "GET", "/items/42/", true)]
    [InlineData("rule_with_trailing_slash", "GET", "/folders/", true)]
    [InlineData("rule_with_trailing_slash_matches_without", "GET", "/folders", true)]
    [InlineData("root", "GET", "/", true)]
    public void Match_AgreesWithTheRouter(string name, string method, string path, bool matches)
    {
        const string yaml = Head +
            "  - {method: GET, path: /items, scope: items:list}\n" +
            "  - {method: GET, path: '/items/{id}', scope: items:read}\n" +
            "  - {method: GET, path: /folders/, scope: folders:list}\n" +
            "  - {method: GET, path: /, public: true}\n";
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);

        Assert.True(matches == (file.Match(method, path) is not null), name);
    }

    [Theory]
    [InlineData("hyphen_name_is_literal", "/items/{foo-bar}", "/items/{foo-bar}", true)]
    [InlineData("hyphen_name_matches_nothing_else", "/items/{foo-bar}", "/items/x", false)]
    [InlineData("fastapi_path_converter_is_literal", "/files/{path:path}", "/files/a/b", false)]
    [InlineData("fastapi_path_converter_not_one_segment", "/files/{path:path}", "/files/a", false)]
    [InlineData("digit_first_is_literal", "/a/{1x}", "/a/42", false)]
    [InlineData("empty_braces_are_literal", "/a/{}", "/a/{}", true)]
    [InlineData("param_inside_segment", "/files/{name}.json", "/files/report.json", true)]
    [InlineData("param_inside_segment_keeps_literal_rest", "/files/{name}.json", "/files/report.xml", false)]
    [InlineData("param_inside_segment_not_empty", "/files/{name}.json", "/files/.json", false)]
    [InlineData("dot_is_literal_not_regex", "/files/{name}.json", "/files/reportxjson", false)]
    [InlineData("two_params_in_a_segment", "/v{major}.{minor}/x", "/v1.2/x", true)]
    [InlineData("catch_all_matches_the_rest", "/files/{*rest}", "/files/a/b/c", true)]
    [InlineData("catch_all_matches_nothing_more", "/files/{*rest}", "/files/", true)]
    [InlineData("catch_all_matches_zero_segments", "/files/{*rest}", "/files", true)]
    [InlineData("catch_all_keeps_its_prefix", "/files/{*rest}", "/filesystem", false)]
    public void Match_TreatsOnlyIdentifierShapedBracesAsParameters(string name, string template, string path, bool matches)
    {
        string yaml = Head + $"  - method: GET\n    path: '{template}'\n    scope: files:read\n";
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), $"{name}: {error}");

        Assert.True(matches == (file.Match("GET", path) is not null), name);
    }

    [Fact]
    public void TryParse_IgnoresUnknownKeys_AtTheTopAndInRoutes()
    {
        const string yaml = "platform_id: p\nversion: 3\nexported_at: 2024-01-01\ngenerator: {name: portal}\nroutes:\n" +
            "  - method: GET\n    path: /a\n    scope: a:read\n    description: lists a\n    tags: [x, y]\n";

        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);
        Assert.Equal(3, file.Version);
        Assert.NotNull(file.Match("GET", "/a"));
    }

    [Theory]
    [InlineData("routes: []\n")]
    [InlineData("routes:\n  []\n")]
    public void TryParse_AcceptsAnEmptyRouteList_ThenNothingMatches(string routes)
    {
        Assert.True(ScopesFile.TryParse("platform_id: p\nversion: 1\n" + routes, out var file, out string? error), error);

        Assert.Empty(file.Routes);
        Assert.Null(file.Match("GET", "/"));
    }

    [Theory]
    [InlineData("plain", "version: 7", 7)]
    [InlineData("quoted_as_the_samples_wrote_it", "version: \"1\"", 1)]
    public void TryParse_ReadsAPositiveIntegerVersion(string name, string line, int expected)
    {
        Assert.True(ScopesFile.TryParse($"platform_id: p\n{line}\nroutes: []\n", out var file, out string? error), $"{name}: {error}");
        Assert.Equal(expected, file.Version);
    }

    [Theory]
    [InlineData("zero", "version: 0")]
    [InlineData("negative", "version: -1")]
    [InlineData("boolean", "version: true")]
    [InlineData("fraction", "version: 1.5")]
    [InlineData("word", "version: one")]
    [InlineData("empty", "version:")]
    [InlineData("list", "version: [1]")]
    [InlineData("too_large", "version: 99999999999")]
    public void TryParse_RefusesAVersionThatIsNotAPositiveInteger(string name, string line)
    {
        Assert.False(ScopesFile.TryParse($"platform_id: p\n{line}\nroutes: []\n", out _, out string? error), name);
        Assert.Equal("line 2: version must be a positive integer", error);
    }

    [Theory]
    [InlineData("missing_version", "platform_id: p\nroutes: []\n", "line 1: version is required")]
    [InlineData("missing_platform", "version: 1\nroutes: []\n", "line 1: platform_id is required")]
    [InlineData("missing_routes", "platform_id: p\nversion: 1\n", "line 1: routes is required")]
    [InlineData("null_routes", "platform_id: p\nversion: 1\nroutes:\n", "line 3: routes must be a list")]
    [InlineData("blank_platform", "platform_id: ' '\nversion: 1\nroutes: []\n", "line 1: platform_id must be a non-empty string")]
    [InlineData("not_yaml", "platform_id: p\nroutes: [\n", "line")]
    [InlineData("not_a_mapping", "- a\n- b\n", "line 1: the file must be one YAML mapping")]
    public void TryParse_NamesTheLine_WhenTheTopLevelIsInvalid(string name, string yaml, string expected)
    {
        Assert.False(ScopesFile.TryParse(yaml, out _, out string? error), name);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lower_case_method", "  - method: get\n    path: /a\n    scope: a:b\n", "routes[1] (line 7): method")]
    [InlineData("no_method", "  - path: /a\n    scope: a:b\n", "routes[1] (line 7): method")]
    [InlineData("path_without_slash", "  - method: GET\n    path: a\n    scope: a:b\n", "routes[1] (line 7): path")]
    [InlineData("malformed_scope", "  - method: GET\n    path: /a\n    scope: bad\n", "routes[1] (line 9): scope")]
    [InlineData("scope_and_public", "  - method: GET\n    path: /a\n    public: true\n    scope: a:b\n", "routes[1] (line 7): a route needs exactly one")]
    [InlineData("no_access", "  - method: GET\n    path: /a\n", "routes[1] (line 7): a route needs exactly one")]
    [InlineData("public_false_only", "  - method: GET\n    path: /a\n    public: false\n", "routes[1] (line 7): a route needs exactly one")]
    [InlineData("public_quoted", "  - method: GET\n    path: /a\n    public: \"true\"\n", "routes[1] (line 9): public must be true or false")]
    [InlineData("skip_not_bool", "  - method: GET\n    path: /a\n    skip: sometimes\n", "routes[1] (line 9): skip must be true or false")]
    [InlineData("match_without_scopes", "  - method: GET\n    path: /a\n    scope: a:b\n    match: any\n", "routes[1] (line 7): match applies only")]
    [InlineData("match_unknown", "  - method: GET\n    path: /a\n    scopes: [a:b, c:d]\n    match: most\n", "routes[1] (line 10): match must be all or any")]
    [InlineData("catch_all_not_last", "  - method: GET\n    path: /a/{*rest}/b\n    scope: a:b\n", "routes[1] (line 7): path has a catch-all segment {*name} that is not the last segment")]
    [InlineData("not_a_mapping", "  - GET /a\n", "routes[1] (line 7): a route must be a mapping")]
    public void TryParse_NamesTheRouteIndexAndLine_WhenARouteIsInvalid(string name, string route, string expected)
    {
        string yaml = Head + "  - method: GET\n    path: /ok\n    scope: ok:read\n" + route;

        Assert.False(ScopesFile.TryParse(yaml, out _, out string? error), name);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TreatsEmptyOptionalValuesAsLeftOut()
    {
        const string yaml = Head + "  - method: GET\n    path: /a\n    scope:\n    public: true\n  - method: GET\n    path: /b\n    skip: ~\n    scope: ' b:read '\n";

        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);
        Assert.Equal(RouteAccess.Public, file.Match("GET", "/a")!.Access);
        Assert.Equal("b:read", Assert.Single(file.Match("GET", "/b")!.Scopes).Value);
    }

    [Theory]
    [InlineData("literal_first", false)]
    [InlineData("parameter_first", true)]
    public void Match_PrefersTheMostSpecificRule_WhateverTheFileOrder(string name, bool reverse)
    {
        string[] rules =
        [
            "  - {method: GET, path: /orders/export, scope: orders:admin}\n",
            "  - {method: GET, path: '/orders/{id}', scope: orders:read}\n",
            "  - {method: GET, path: '/orders/{id}.json', scope: orders:json}\n",
            "  - {method: GET, path: '/{*rest}', public: true}\n",
        ];
        string yaml = Head + string.Concat(reverse ? rules.Reverse() : rules);
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), $"{name}: {error}");

        Assert.Equal("/orders/export", file.Match("GET", "/orders/EXPORT")!.Path);
        Assert.Equal("/orders/export", file.Match("GET", "/Orders/Export/")!.Path);
        Assert.Equal("/orders/{id}.json", file.Match("GET", "/orders/7.JSON")!.Path);
        Assert.Equal("/orders/{id}", file.Match("GET", "/orders/7")!.Path);
        Assert.Equal("/{*rest}", file.Match("GET", "/orders//export")!.Path);
        Assert.Equal("/{*rest}", file.Match("GET", "/orders/")!.Path);
        Assert.Equal(reverse ? 3 : 0, file.Routes.ToList().FindIndex(r => r.Path == "/orders/export"));
    }

    [Theory]
    [InlineData("json_first", false, "/f/{name}.json")]
    [InlineData("prefix_first", true, "/f/x{rest}")]
    public void Match_KeepsFileOrder_BetweenRulesOfEqualPrecedence(string name, bool reverse, string expected)
    {
        // Both complex (precedence 1.2) and both matching /f/x1.json: the router would call this
        // ambiguous; the file order decides.
        string[] rules = ["  - {method: GET, path: '/f/{name}.json', scope: f:json}\n", "  - {method: GET, path: '/f/x{rest}', scope: f:x}\n"];
        string yaml = Head + string.Concat(reverse ? rules.Reverse() : rules) + "  - {method: GET, path: '/f/{id}', public: true}\n";
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), $"{name}: {error}");

        Assert.Equal(expected, file.Match("GET", "/f/x1.json")!.Path);
        Assert.Equal("/f/{name}.json", file.Match("GET", "/f/y.json")!.Path);
        Assert.Equal("/f/{id}", file.Match("GET", "/f/y")!.Path);
    }

    [Theory]
    [InlineData("case", "/orders/export", "/orders/EXPORT")]
    [InlineData("trailing_slash", "/orders/export", "/orders/export/")]
    [InlineData("parameter_name", "/orders/{id}", "/Orders/{key}/")]
    public void TryParse_RefusesTwoRulesThatMatchTheSameRequests_WhenTheyAskDifferentThings(string name, string first, string second)
    {
        string yaml = Head +
            $"  - {{method: GET, path: '{first}', scope: orders:admin}}\n" +
            "  - {method: POST, path: /x, public: true}\n" +
            $"  - {{method: GET, path: '{second}', public: true}}\n";

        Assert.False(ScopesFile.TryParse(yaml, out _, out string? error), name);
        Assert.StartsWith($"routes[2] (line 6): GET {second} matches the same requests as routes[0] (line 4, {first})", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_AcceptsARepeatedRule_WhenItAsksTheSame()
    {
        const string yaml = Head +
            "  - {method: GET, path: /orders/export, scope: orders:admin}\n" +
            "  - {method: GET, path: /Orders/Export/, scope: orders:admin}\n" +
            "  - {method: POST, path: /orders/export, public: true}\n";

        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);
        Assert.Equal(4, file.Match("GET", "/ORDERS/EXPORT")!.Line);
        Assert.Equal(RouteAccess.Public, file.Match("POST", "/orders/export")!.Access);
    }

    [Fact]
    public void Match_HonoursCatchAllAndFirstMatchWins()
    {
        const string yaml = Head + "  - method: GET\n    path: /files/special\n    public: true\n  - method: GET\n    path: /files/{*rest}\n    scopes: [files:read, files:list]\n    match: any\n";
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);

        Assert.Equal(RouteAccess.Public, file.Match("GET", "/files/special")!.Access);
        var rule = file.Match("GET", "/files/a/b/c")!;
        Assert.False(rule.RequireAll);
        Assert.Equal(2, rule.Scopes.Count);
    }
}
