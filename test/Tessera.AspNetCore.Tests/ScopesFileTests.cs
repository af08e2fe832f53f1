using Tessera.AspNetCore.RouteScopes;

namespace Tessera.AspNetCore.Tests;

public sealed class ScopesFileTests
{
    [Fact]
    public void TryParse_AcceptsTheSampleFile()
    {
        string yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "tessera_scopes.yaml"));

        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);
        Assert.Equal("orders-api", file.PlatformId);
        Assert.Equal(5, file.Routes.Count);
        Assert.Equal(RouteAccess.Public, file.Match("GET", "/health")!.Access);
        Assert.Equal("orders:read", Assert.Single(file.Match("GET", "/orders/42")!.Scopes).Value);
        Assert.Null(file.Match("HEAD", "/orders"));
        Assert.Null(file.Match("GET", "/orders/"));
        Assert.Null(file.Match("GET", "/Orders"));
        Assert.Null(file.Match("GET", "/orders/42/items"));
    }

    [Theory]
    [InlineData("platform_id: p\nroutes:\n  - method: get\n    path: /a\n    scope: a:b\n", "line 3")]
    [InlineData("platform_id: p\nroutes:\n  - method: GET\n    path: a\n    scope: a:b\n", "line 3")]
    [InlineData("platform_id: p\nroutes:\n  - method: GET\n    path: /a\n    scope: bad\n", "line 5")]
    [InlineData("platform_id: p\nroutes:\n  - method: GET\n    path: /a\n    public: true\n    scope: a:b\n", "line 3")]
    [InlineData("platform_id: p\nroutes:\n  - method: GET\n    path: /a/{1x}\n    scope: a:b\n", "line 3")]
    [InlineData("platform_id: p\nroutes: [\n", "line")]
    [InlineData("routes: []\n", "platform_id and routes are required")]
    public void TryParse_NamesTheLine_WhenTheFileIsInvalid(string yaml, string expected)
    {
        Assert.False(ScopesFile.TryParse(yaml, out _, out string? error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Match_HonoursCatchAllAndFirstMatchWins()
    {
        const string yaml = "platform_id: p\nroutes:\n  - method: GET\n    path: /files/special\n    public: true\n  - method: GET\n    path: /files/{*rest}\n    scopes: [files:read, files:list]\n    match: any\n";
        Assert.True(ScopesFile.TryParse(yaml, out var file, out string? error), error);

        Assert.Equal(RouteAccess.Public, file.Match("GET", "/files/special")!.Access);
        var rule = file.Match("GET", "/files/a/b/c")!;
        Assert.False(rule.RequireAll);
        Assert.Equal(2, rule.Scopes.Count);
    }
}
