using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tessera.Cli.Commands;

namespace Tessera.Cli.Tests;

public sealed class InitAndDevTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Init_WritesOwnerOnlyConfigWithBcryptHash_AndPrintsSecretOnce(string mode)
    {
        string dir = TesseraProcess.TempDirectory();
        string path = Path.Combine(dir, "conf", "tessera.json");
        var output = new StringWriter();
        var error = new StringWriter();

        int code = InitCommand.Run(mode, path, force: false, output, error);

        Assert.Equal(0, code);
        string secret = Regex.Match(output.ToString(), "tsr_admin_[A-Za-z0-9_-]{43}").Value;
        Assert.NotEmpty(secret);
        Assert.Single(Regex.Matches(output.ToString(), Regex.Escape(secret)));
        string json = File.ReadAllText(path);
        Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        string hash = JsonDocument.Parse(json).RootElement.GetProperty("admin_secret_hash").GetString()!;
        Assert.True(BCrypt.Net.BCrypt.Verify(secret, hash));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Init_RefusesToOverwrite_WithoutForce()
    {
        string dir = TesseraProcess.TempDirectory();
        string path = Path.Combine(dir, "tessera.json");
        Assert.Equal(0, InitCommand.Run("prod", path, false, new StringWriter(), new StringWriter()));
        string before = File.ReadAllText(path);
        var error = new StringWriter();

        Assert.Equal(1, InitCommand.Run("prod", path, false, new StringWriter(), error));
        Assert.Equal($"FATAL: config file already exists at {path}; pass --force to overwrite it", error.ToString().Trim());
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal(0, InitCommand.Run("prod", path, true, new StringWriter(), new StringWriter()));
        Assert.NotEqual(before, File.ReadAllText(path));
    }

    [Fact]
    public async Task Dev_GeneratesSecretOnFirstRunOnly_AndThePrintedCurlAuthenticates()
    {
        string dir = TesseraProcess.TempDirectory();
        int port = TesseraProcess.FreePort();
        string secret;
        using (var first = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "dev", "--urls", $"http://127.0.0.1:{port}"))
        {
            await first.WaitForOutputAsync("Next step", TimeSpan.FromSeconds(60));
            await Task.Delay(200);
            secret = Regex.Match(first.Stdout, "tsr_admin_[A-Za-z0-9_-]{43}").Value;
            Assert.Contains($"curl -s -X POST http://127.0.0.1:{port}/v1/admin/auth", first.Stdout);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var auth = await http.PostAsJsonAsync("/v1/admin/auth", new { secret });
            Assert.True(auth.IsSuccessStatusCode);
            Assert.DoesNotContain(secret, await File.ReadAllTextAsync(Path.Combine(dir, ".tessera", "config.json")), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, ".tessera", "tessera.db")));
        }

        using var second = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "dev", "--urls", $"http://127.0.0.1:{port}");
        await second.WaitForOutputAsync("Tessera broker listening", TimeSpan.FromSeconds(60));
        await Task.Delay(300);
        Assert.DoesNotContain("tsr_admin_", second.Stdout, StringComparison.Ordinal);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.True((await client.PostAsJsonAsync("/v1/admin/auth", new { secret })).IsSuccessStatusCode);
    }
}
