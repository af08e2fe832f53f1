using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.RouteScopes;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// The scopes file's matcher against ASP.NET Core 10's real router (DfaMatcher), side by side: the
/// same templates are mapped as endpoints and written as rules, and for every path of a large set
/// (letter cases, look-alike letters, trailing and doubled slashes, complex segments, catch-alls)
/// the rule <see cref="ScopesFile.Match"/> picks must be the endpoint the router picks, in both
/// file orders. This is what findings 17.1 and 18.3 need: the rule checked is the rule of the
/// handler that runs.
/// </summary>
public sealed class RouterAgreementTests
{
    private static readonly string[] Templates =
    [
        "/",
        "/orders",
        "/orders/export",
        "/orders/{id}",
        "/orders/{id}/items",
        "/orders/export/{format}",
        "/files/{name}.json",
        "/files/{*rest}",
        "/a/{x}/b",
        "/a/literal/{y}",
        "/v{major}.{minor}/x",
        "/d/{x}.{y}",
        "/p/a{x}b",
        "/k/{x}/{*rest}",
        "/k/fixed",
        "/caf\u00e9/menu",
    ];

    private static readonly string[] Paths =
    [
        "", "/", "//", "///",
        "/orders", "/orders/", "/orders//", "/Orders", "/ORDERS/", "//orders", "/orders/x", "/orders/x/",
        "/orders/export", "/orders/EXPORT", "/Orders/Export", "/orders/export/", "/orders/export//", "/orders//export",
        "/orders/Export/csv", "/orders/export/csv/", "/orders/export//csv", "/orders/42/items", "/orders/42/ITEMS/", "/orders//items",
        "/orders/exp\u006Frt", "/orders/e\u212Axport", "/orders/expor\u0422", "/orders/exporT", "/orders/export.",
        "/orders/ex%2Fport", "/orders/export%2F", "/orders/export ", "/orders/%20",
        "/files", "/files/", "/files//", "/files/a.json", "/files/A.JSON", "/files/.json", "/files/a.json/", "/files/a/b.json",
        "/files/x.json.json", "/Files/a.Json", "/files/a.jsonx",
        "/a/x/b", "/a/x/B/", "/a//b", "/a/literal/b", "/A/LITERAL/B", "/a/literal/", "/a/literal//",
        "/v1.2/x", "/V1.2/X/", "/v.2/x", "/v1./x", "/v1.2.3/x", "/vv1.2/x", "/v/x",
        "/d/a.b", "/d/a.b.c", "/d/.b", "/d/a.", "/d/..", "/d/a..b",
        "/p/axb", "/p/ab", "/p/AXB", "/p/aab", "/p/abb", "/p/axbxb", "/p/b", "/p/a",
        "/k/x", "/k/x/", "/k/x/y", "/k/x//y", "/k/fixed", "/K/FIXED/", "/k/fixed/more", "/k//",
        "/caf\u00e9/menu", "/CAF\u00c9/MENU", "/cafe/menu", "/caf\u00e9/menu/",
        "/li\u017Ft", "/l\u0131st", "/elsewhere", "/elsewhere/deep/path/",
    ];

    [Theory]
    [InlineData("file_order", false)]
    [InlineData("reverse_order", true)]
    public async Task Match_PicksTheRouterEndpoint_ForEveryPath(string name, bool reverse)
    {
        await AssertAgreementAsync(name, reverse, Templates);
    }

    [Theory]
    [InlineData("file_order", false)]
    [InlineData("reverse_order", true)]
    public async Task Match_PicksTheRouterEndpoint_WhenARootCatchAllExists(string name, bool reverse)
    {
        await AssertAgreementAsync(name, reverse, [.. Templates, "/{*any}"]);
    }

    private static async Task AssertAgreementAsync(string name, bool reverse, string[] templates)
    {
        var rules = reverse ? templates.Reverse().ToArray() : templates;
        var yaml = new StringBuilder("platform_id: p\nversion: 1\nroutes:\n");
        foreach (string template in rules)
        {
            yaml.Append("  - method: GET\n    path: \"").Append(template).Append("\"\n    public: true\n");
        }

        Assert.True(ScopesFile.TryParse(yaml.ToString(), out var file, out string? error), error);
        await using var router = await RealRouter.StartAsync(templates);

        var disagreements = new List<string>();
        foreach (string path in Variants())
        {
            string? routed = await router.SelectAsync(path);
            string? matched = file.Match("GET", path)?.Path;
            if (!string.Equals(routed, matched, StringComparison.Ordinal))
            {
                disagreements.Add($"{path}: router {routed ?? "(none)"}, scopes file {matched ?? "(none)"}");
            }
        }

        Assert.True(disagreements.Count == 0, $"{name}: {disagreements.Count} disagreements:\n" + string.Join('\n', disagreements));
    }

    private static IEnumerable<string> Variants()
    {
        foreach (string path in Paths)
        {
            yield return path;
            yield return path.ToUpperInvariant();
            yield return path.ToLowerInvariant();
            yield return path + "/";
            yield return path.Replace("/", "//", StringComparison.Ordinal);
        }
    }

    /// <summary>The real router: UseRouting over the templates, the selected endpoint read back. No sockets, so any path string can be tried.</summary>
    private sealed class RealRouter : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RequestDelegate _pipeline;

        private RealRouter(WebApplication app, RequestDelegate pipeline)
        {
            _app = app;
            _pipeline = pipeline;
        }

        public static Task<RealRouter> StartAsync(string[] templates)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.UseRouting();
            app.Use((HttpContext context, RequestDelegate _) =>
            {
                context.Items["routed"] = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                return Task.CompletedTask;
            });
            foreach (string template in templates)
            {
                app.MapGet(template, () => "");
            }

            return Task.FromResult(new RealRouter(app, ((IApplicationBuilder)app).Build()));
        }

        public async Task<string?> SelectAsync(string path)
        {
            var context = new DefaultHttpContext { RequestServices = _app.Services };
            context.Request.Method = "GET";
            context.Request.Path = path.Length == 0 ? PathString.Empty : new PathString(path);
            await _pipeline(context);
            return context.Items["routed"] as string;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
