using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Tests;

/// <summary>
/// With no TESSERA_ISSUER, <c>serve</c> and <c>dev</c> take the issuer from the first listen URL (after
/// binding, for port 0); <c>serve</c> refuses a non-loopback address, and both refuse a wildcard one.
/// </summary>
public sealed partial class IssuerDefaultTests
{
    private const string Secret = "a-perfectly-strong-secret-1234";

    [Fact]
    public async Task Serve_TakesTheBoundUrlAsIssuer_WhenNoIssuerIsConfiguredAndThePortIsZero()
    {
        string dir = TesseraProcess.TempDirectory();
        using var process = TesseraProcess.Start(dir, Environment(dir), "serve", "--urls", "http://127.0.0.1:0");
        await process.WaitForOutputAsync("issuer: ", TimeSpan.FromSeconds(120));
        string url = ListeningUrl(process.Stdout);
        Assert.Matches(@"^http://127\.0\.0\.1:[1-9][0-9]*$", url);

        Assert.Contains($"issuer: {url} (from the first listen URL; set TESSERA_ISSUER to the public URL behind a proxy)", process.Stdout, StringComparison.Ordinal);
        Assert.Contains("warning: the issuer is a loopback default", process.Stderr, StringComparison.Ordinal);
        await AssertIssuerAsync(url, url);
    }

    [Fact]
    public async Task Serve_KeepsTheConfiguredIssuerExactly_WhenTesseraIssuerIsSet()
    {
        string dir = TesseraProcess.TempDirectory();
        var environment = Environment(dir);
        environment["TESSERA_ISSUER"] = "https://tessera.example.com/";
        using var process = TesseraProcess.Start(dir, environment, "serve", "--urls", "http://127.0.0.1:0");
        await process.WaitForOutputAsync("issuer: ", TimeSpan.FromSeconds(120));

        Assert.Contains("issuer: https://tessera.example.com/" + System.Environment.NewLine, process.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", process.Stderr, StringComparison.Ordinal);
        await AssertIssuerAsync(ListeningUrl(process.Stdout), "https://tessera.example.com/");
    }

    [Theory]
    [InlineData("http://0.0.0.0:{0}")]
    [InlineData("http://[::]:{0}")]
    [InlineData("http://*:{0}")]
    [InlineData("http://+:{0}")]
    [InlineData("http://10.11.12.13:{0}")]
    [InlineData("http://tessera.example.com:{0}")]
    public async Task Serve_ExitsWithOneFatalLineNamingTesseraIssuer_WhenNoIssuerAndTheListenUrlIsNotLoopback(string urlFormat)
    {
        string dir = TesseraProcess.TempDirectory();
        string url = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlFormat, TesseraProcess.FreePort());
        using var process = TesseraProcess.Start(dir, Environment(dir), "serve", "--urls", url);

        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        string line = Assert.Single(process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("FATAL: TESSERA_ISSUER is not set and " + url, line, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_SaysItIsStartingFirst_ThenTakesTheBoundUrlAsIssuer()
    {
        string dir = TesseraProcess.TempDirectory();
        using var process = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "dev", "--urls", "http://127.0.0.1:0");
        await process.WaitForOutputAsync("Next step", TimeSpan.FromSeconds(120));
        // Log lines interleave with these; only the order of the CLI's own lines is asserted.
        var lines = process.Stdout.Split('\n', StringSplitOptions.TrimEntries).ToList();
        string url = ListeningUrl(process.Stdout);
        int listening = lines.FindIndex(l => l.StartsWith("Tessera broker listening on ", StringComparison.Ordinal));
        int issuer = lines.IndexOf($"issuer: {url} (from the first listen URL; set TESSERA_ISSUER to the public URL behind a proxy)");

        Assert.Equal("starting the broker (data in ./.tessera/)…", lines[0]);
        Assert.True(listening > 0 && issuer > listening, process.Stdout);
        Assert.Contains($"curl -s -X POST {url}/v1/admin/auth", process.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("issuer", await File.ReadAllTextAsync(Path.Combine(dir, ".tessera", "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_ExitsWithOneFatalLineNamingTesseraIssuer_WhenItListensOnEveryInterfaceWithoutIssuer()
    {
        string dir = TesseraProcess.TempDirectory();
        using var process = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "dev", "--urls", "http://0.0.0.0:0");

        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("FATAL: TESSERA_ISSUER is not set", Assert.Single(process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Environment(string dir) => new()
    {
        ["TESSERA_ADMIN_SECRET"] = Secret,
        ["TESSERA_BCRYPT_COST"] = "4",
        ["TESSERA_DB"] = Path.Combine(dir, "t.db"),
        ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(dir, "k.json"),
        ["TESSERA_SECRET_PEPPER_PATH"] = Path.Combine(dir, "pepper"),
    };

    private static string ListeningUrl(string stdout) => ListeningLine().Match(stdout).Groups[1].Value.TrimEnd('/');

    /// <summary>The metadata document's issuer and an admin token's <c>iss</c> and <c>aud</c> are <paramref name="issuer"/>, and the broker accepts the token.</summary>
    private static async Task AssertIssuerAsync(string url, string issuer)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var metadata = await http.GetFromJsonAsync<JsonObject>("/.well-known/tessera-configuration");
        Assert.Equal(issuer, metadata!["issuer"]!.GetValue<string>());

        using var auth = await http.PostAsJsonAsync("/v1/admin/auth", new { secret = Secret });
        Assert.True(auth.IsSuccessStatusCode, await auth.Content.ReadAsStringAsync());
        string token = (await auth.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        string payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload += new string('=', (4 - (payload.Length % 4)) % 4);
        var claims = JsonNode.Parse(Convert.FromBase64String(payload))!;
        Assert.Equal(issuer, claims["iss"]!.GetValue<string>());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/agents");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var agents = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
    }

    [GeneratedRegex(@"Tessera broker listening on (\S+?)(,|\s|$)")]
    private static partial Regex ListeningLine();
}
