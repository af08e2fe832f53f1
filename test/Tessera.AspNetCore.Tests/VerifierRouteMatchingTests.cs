using System.Net;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Security findings 17.1 (letter case) and 18.3 (trailing slash), over real HTTP against Kestrel:
/// the rule the verifier applies is the rule of the endpoint ASP.NET Core's router runs, in both
/// file orders. Each refusal asserts its status and <c>error_code</c>, and that the handler the
/// router picked did not run.
/// </summary>
public sealed class VerifierRouteMatchingTests(RouteMatchingApps apps) : IClassFixture<RouteMatchingApps>
{
    public static TheoryData<string, string> ExportSpellings => Cross(
        "/orders/export", "/orders/EXPORT", "/Orders/Export", "/ORDERS/EXPORT", "/orders/%45XPORT", "/orders/exp%6Frt",
        "/orders/%65%78%70%6F%72%74", "/orders/export/", "/Orders/EXPORT/", "/orders/./EXPORT", "/orders/x/../Export");

    public static TheoryData<string, string> ProtectedWithTrailingSlash => Cross(
        "/orders/", "/Orders/", "/ORDERS/", "/orders/42/", "/Orders/42/", "/orders/export/", "/orders/%2A/");

    public static TheoryData<string, string> SkippedSpellings => Cross(
        "/internal/debug", "/internal/debug/", "/Internal/Debug", "/INTERNAL/DEBUG/", "/internal/%64ebug", "/internal/DEBU%47/");

    public static TheoryData<string, string> DoubleSlashes => Cross(
        "/orders//export", "/orders/export//", "/internal//debug", "/internal/debug//", "/orders//", "/orders//42");

    [Theory]
    [MemberData(nameof(ExportSpellings))]
    public async Task Export_Returns403MissingScope_WhenCaseOrEncodingDiffers(string order, string path)
    {
        var api = apps[order];
        int before = api.RunsOf("export");

        var response = await api.GetAsync(path, apps.Token("orders:read"));

        await Refusal.AssertAsync(response, HttpStatusCode.Forbidden, "MISSING_SCOPE");
        Assert.Contains("orders:admin", Refusal.WwwAuthenticate(response), StringComparison.Ordinal);
        Assert.Equal(before, api.RunsOf("export"));
    }

    [Theory]
    [InlineData("literal_first", "/orders/%45XPORT")]
    [InlineData("parameter_first", "/orders/%45XPORT")]
    [InlineData("literal_first", "/orders/exp%6Frt")]
    [InlineData("parameter_first", "/orders/exp%6Frt/")]
    [InlineData("parameter_first", "/%4Frders/%65xport")]
    public async Task Export_Returns403MissingScope_WhenPercentEncodedOnTheWire(string order, string target)
    {
        var api = apps[order];
        int before = api.RunsOf("export");

        var (status, response) = await api.RawGetAsync(target, apps.Token("orders:read"));
        var (adminStatus, adminResponse) = await api.RawGetAsync(target, apps.Token("orders:admin"));

        Assert.True(status == 403, response);
        Assert.Contains("\"error_code\":\"MISSING_SCOPE\"", response, StringComparison.Ordinal);
        Assert.True(adminStatus == 200, adminResponse);
        Assert.Contains("\"handler\":\"export\"", adminResponse, StringComparison.Ordinal);
        Assert.Equal(before + 1, api.RunsOf("export"));
    }

    [Theory]
    [MemberData(nameof(ExportSpellings))]
    public async Task Export_Returns200FromTheExportHandler_WhenTokenHasAdminScope(string order, string path)
    {
        var api = apps[order];

        var response = await api.GetAsync(path, apps.Token("orders:admin"));

        Assert.Equal("export", await HandlerAsync(response));
    }

    [Theory]
    [MemberData(nameof(ProtectedWithTrailingSlash))]
    public async Task Orders_Returns401MissingToken_WhenTrailingSlashAndNoToken(string order, string path)
    {
        var api = apps[order];
        int before = api.RunsOf("orders") + api.RunsOf("order") + api.RunsOf("export") + api.RunsOf("catch-all");

        var response = await api.GetAsync(path);

        await Refusal.Assert401Async(response, "MISSING_TOKEN", bearerError: null);
        Assert.Equal(before, api.RunsOf("orders") + api.RunsOf("order") + api.RunsOf("export") + api.RunsOf("catch-all"));
    }

    [Theory]
    [MemberData(nameof(ProtectedWithTrailingSlash))]
    public async Task Orders_Returns403MissingScope_WhenTrailingSlashAndTokenForAnotherScope(string order, string path)
    {
        var api = apps[order];
        int before = api.RunsOf("orders") + api.RunsOf("order") + api.RunsOf("export");

        var response = await api.GetAsync(path, apps.Token("billing:read"));

        await Refusal.AssertAsync(response, HttpStatusCode.Forbidden, "MISSING_SCOPE");
        Assert.Equal(before, api.RunsOf("orders") + api.RunsOf("order") + api.RunsOf("export"));
    }

    [Theory]
    [MemberData(nameof(SkippedSpellings))]
    public async Task InternalDebug_Returns404RouteNotFound_WhenCaseOrTrailingSlashDiffers(string order, string path)
    {
        var api = apps[order];
        int before = api.RunsOf("debug");

        var anonymous = await api.GetAsync(path);
        var withToken = await api.GetAsync(path, apps.Token("orders:admin"));

        await Refusal.AssertAsync(anonymous, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        await Refusal.AssertAsync(withToken, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        Assert.Equal(before, api.RunsOf("debug"));
    }

    [Theory]
    [MemberData(nameof(DoubleSlashes))]
    public async Task DoubleSlash_ReachesOnlyThePublicCatchAll_WhenTheRouterSendsItThere(string order, string path)
    {
        var api = apps[order];
        int before = api.RunsOf("export") + api.RunsOf("debug") + api.RunsOf("order") + api.RunsOf("orders");

        var response = await api.GetAsync(path);

        // The router sends a path with an empty segment to the catch-all only; so does the verifier.
        Assert.Equal("catch-all", await HandlerAsync(response));
        Assert.Equal(before, api.RunsOf("export") + api.RunsOf("debug") + api.RunsOf("order") + api.RunsOf("orders"));
    }

    [Theory]
    [InlineData("literal_first", "//orders/export")]
    [InlineData("parameter_first", "//orders/export")]
    [InlineData("literal_first", "//internal/debug/")]
    [InlineData("parameter_first", "//Internal/Debug")]
    public async Task LeadingDoubleSlash_ReachesOnlyThePublicCatchAll_WhenSentRaw(string order, string target)
    {
        var api = apps[order];
        int before = api.RunsOf("export") + api.RunsOf("debug");

        var (status, response) = await api.RawGetAsync(target);

        Assert.True(status == 200, response);
        Assert.Contains("\"handler\":\"catch-all\"", response, StringComparison.Ordinal);
        Assert.Equal(before, api.RunsOf("export") + api.RunsOf("debug"));
    }

    [Theory]
    [InlineData("literal_first", "/orders/42")]
    [InlineData("parameter_first", "/ORDERS/42/")]
    [InlineData("parameter_first", "/orders/exports")]
    [InlineData("literal_first", "/orders/%2F")]
    public async Task Order_Returns200FromTheOrderHandler_WhenTokenHasReadScope(string order, string path)
    {
        var api = apps[order];

        var response = await api.GetAsync(path, apps.Token("orders:read"));

        Assert.Equal("order", await HandlerAsync(response));
    }

    [Theory]
    [InlineData("literal_first", "/")]
    [InlineData("parameter_first", "/")]
    [InlineData("literal_first", "/anything/else/")]
    [InlineData("parameter_first", "/Health2")]
    public async Task CatchAll_Returns200WithoutToken_WhenNoMoreSpecificRuleMatches(string order, string path)
    {
        var response = await apps[order].GetAsync(path);

        Assert.Equal("catch-all", await HandlerAsync(response));
    }

    [Theory]
    [InlineData("literal_first")]
    [InlineData("parameter_first")]
    public async Task Export_Returns404RouteNotFound_WhenMethodIsHead(string order)
    {
        var api = apps[order];
        int before = api.RunsOf("export");

        var response = await api.GetAsync("/orders/EXPORT", apps.Token("orders:admin"), method: "HEAD");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, api.RunsOf("export"));
    }

    private static async Task<string> HandlerAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["handler"]!.GetValue<string>();
    }

    private static TheoryData<string, string> Cross(params string[] paths)
    {
        var data = new TheoryData<string, string>();
        foreach (string order in new[] { "literal_first", "parameter_first" })
        {
            foreach (string path in paths)
            {
                data.Add(order, path);
            }
        }

        return data;
    }
}
