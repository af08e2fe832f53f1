using Tessera.Routes;

namespace Tessera.Core.Tests;

/// <summary>
/// The scopes-file route template matches as ASP.NET Core's router does (findings 17.1 and 18.3):
/// literal text ignoring letter case, one trailing slash ignored, empty segments reaching only a
/// catch-all, and route precedence literal &gt; complex &gt; parameter &gt; catch-all.
/// </summary>
public sealed class RouteTemplateTests
{
    [Theory]
    [InlineData("exact", "/orders/export", "/orders/export", true)]
    [InlineData("upper_case", "/orders/export", "/orders/EXPORT", true)]
    [InlineData("mixed_case", "/orders/export", "/Orders/Export", true)]
    [InlineData("template_upper_case", "/Orders/EXPORT", "/orders/export", true)]
    [InlineData("non_ascii_case", "/caf\u00e9", "/CAF\u00c9", true)]
    [InlineData("kelvin_sign_is_not_k", "/kilo", "/\u212Ailo", false)]
    [InlineData("dotless_i_is_not_i", "/list", "/l\u0131st", false)]
    [InlineData("long_s_is_not_s", "/list", "/li\u017Ft", false)]
    [InlineData("trailing_slash_ignored", "/orders/export", "/orders/export/", true)]
    [InlineData("template_trailing_slash_ignored", "/orders/", "/orders", true)]
    [InlineData("two_trailing_slashes_are_an_empty_segment", "/orders", "/orders//", false)]
    [InlineData("doubled_slash_is_an_empty_segment", "/orders/export", "/orders//export", false)]
    [InlineData("leading_doubled_slash", "/orders", "//orders", false)]
    [InlineData("root", "/", "/", true)]
    [InlineData("root_is_not_doubled_slash", "/", "//", false)]
    [InlineData("empty_path_is_the_root", "/", "", true)]
    [InlineData("path_without_leading_slash", "/orders", "orders", false)]
    [InlineData("param_one_segment", "/orders/{id}", "/orders/42", true)]
    [InlineData("param_not_empty", "/orders/{id}", "/orders/", false)]
    [InlineData("param_not_empty_segment", "/orders/{id}", "/orders//", false)]
    [InlineData("param_not_two_segments", "/orders/{id}", "/orders/4/2", false)]
    [InlineData("encoded_slash_stays_in_its_segment", "/orders/{id}", "/orders/a%2Fb", true)]
    [InlineData("catch_all_zero_segments", "/files/{*rest}", "/files", true)]
    [InlineData("catch_all_trailing_slash", "/files/{*rest}", "/files/", true)]
    [InlineData("catch_all_empty_segments", "/files/{*rest}", "/files//a", true)]
    [InlineData("catch_all_keeps_its_prefix", "/files/{*rest}", "/filesystem", false)]
    [InlineData("catch_all_prefix_ignores_case", "/files/{*rest}", "/FILES/a/b", true)]
    [InlineData("root_catch_all", "/{*rest}", "/", true)]
    [InlineData("root_catch_all_doubled_slash", "/{*rest}", "//x", true)]
    [InlineData("complex", "/files/{name}.json", "/files/a.json", true)]
    [InlineData("complex_ignores_case", "/files/{name}.json", "/files/a.JSON", true)]
    [InlineData("complex_param_not_empty", "/files/{name}.json", "/files/.json", false)]
    [InlineData("complex_literal_at_the_end", "/files/{name}.json", "/files/a.jsonx", false)]
    [InlineData("complex_last_occurrence", "/d/{x}.{y}", "/d/a.b.c", true)]
    [InlineData("complex_leading_literal", "/v{major}.{minor}", "/V1.2", true)]
    [InlineData("complex_leading_literal_needed", "/v{major}.{minor}", "/x1.2", false)]
    [InlineData("complex_literals_both_ends", "/p/a{x}b", "/p/axb", true)]
    [InlineData("complex_literals_overlap", "/p/a{x}b", "/p/ab", false)]
    [InlineData("braces_not_an_identifier_are_literal", "/files/{path:path}", "/files/{PATH:path}", true)]
    [InlineData("braces_not_an_identifier_match_nothing_else", "/files/{path:path}", "/files/a", false)]
    public void Matches_AgreesWithTheRouter(string name, string template, string path, bool matches)
    {
        Assert.True(RouteTemplate.TryParse(template, out var compiled, out string? error), $"{name}: {error}");

        Assert.True(matches == compiled.Matches(path), name);
    }

    [Theory]
    [InlineData("literal_before_parameter", "/orders/export", "/orders/{id}")]
    [InlineData("literal_before_complex", "/files/a.json", "/files/{name}.json")]
    [InlineData("complex_before_parameter", "/files/{name}.json", "/files/{id}")]
    [InlineData("parameter_before_catch_all", "/files/{id}", "/files/{*rest}")]
    [InlineData("literal_before_catch_all", "/files", "/files/{*rest}")]
    [InlineData("left_segment_decides", "/orders/{id}/items", "/{tenant}/export/items")]
    [InlineData("shorter_before_longer", "/orders/{id}", "/orders/{id}/{part}")]
    [InlineData("catch_all_after_anything_longer", "/k/{x}/b", "/k/{*rest}")]
    [InlineData("root_before_root_catch_all", "/", "/{*rest}")]
    public void ComparePrecedence_RanksAsTheRouter(string name, string first, string second)
    {
        Assert.True(RouteTemplate.TryParse(first, out var a, out _), name);
        Assert.True(RouteTemplate.TryParse(second, out var b, out _), name);

        Assert.True(a.ComparePrecedence(b) < 0, name);
        Assert.True(b.ComparePrecedence(a) > 0, name);
    }

    [Fact]
    public void ComparePrecedence_IsZero_WhenOnlyNamesOrCaseDiffer()
    {
        Assert.True(RouteTemplate.TryParse("/orders/{id}", out var a, out _));
        Assert.True(RouteTemplate.TryParse("/Orders/{key}/", out var b, out _));

        Assert.Equal(0, a.ComparePrecedence(b));
    }

    [Theory]
    [InlineData("case", "/orders/export", "/Orders/EXPORT", true)]
    [InlineData("trailing_slash", "/orders/export", "/orders/export/", true)]
    [InlineData("parameter_names", "/orders/{id}", "/orders/{key}", true)]
    [InlineData("complex_case", "/files/{a}.json", "/FILES/{b}.JSON", true)]
    [InlineData("different_literal", "/orders/export", "/orders/import", false)]
    [InlineData("literal_and_parameter", "/orders/export", "/orders/{id}", false)]
    [InlineData("different_length", "/orders", "/orders/{id}", false)]
    [InlineData("parameter_and_catch_all", "/orders/{id}", "/orders/{*rest}", false)]
    public void IsEquivalentTo_IsTrue_OnlyWhenBothMatchTheSamePaths(string name, string first, string second, bool equivalent)
    {
        Assert.True(RouteTemplate.TryParse(first, out var a, out _), name);
        Assert.True(RouteTemplate.TryParse(second, out var b, out _), name);

        Assert.Equal(equivalent, a.IsEquivalentTo(b));
        Assert.Equal(equivalent, b.IsEquivalentTo(a));
    }

    [Theory]
    [InlineData("no_leading_slash", "orders", "must start with '/'")]
    [InlineData("empty", "", "must start with '/'")]
    [InlineData("double_slash", "/orders//export", "has an empty segment")]
    [InlineData("only_slashes", "//", "has an empty segment")]
    [InlineData("two_trailing_slashes", "/orders//", "has an empty segment")]
    [InlineData("catch_all_not_last", "/files/{*rest}/x", "has a catch-all segment")]
    [InlineData("parameters_side_by_side", "/x/{a}{b}", "has two parameters side by side")]
    public void TryParse_Refuses_WhenTheRouterCouldNotMatchItTheSameWay(string name, string template, string expected)
    {
        Assert.False(RouteTemplate.TryParse(template, out _, out string? error), name);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
