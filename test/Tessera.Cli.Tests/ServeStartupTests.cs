namespace Tessera.Cli.Tests;

/// <summary>A bad setting stops the process with one FATAL line naming it and exit code 1.</summary>
public sealed class ServeStartupTests
{
    public static TheoryData<string, string?, string> BadSecrets => new()
    {
        { "missing", null, "FATAL: no admin secret configured: set TESSERA_ADMIN_SECRET, or run 'tessera init' and pass --config" },
        { "empty", "", "FATAL: TESSERA_ADMIN_SECRET is empty; unset it to use the config file's hash, or set a strong secret" },
        { "short", "short-secret", "FATAL: TESSERA_ADMIN_SECRET is shorter than 16 characters" },
        { "denylisted", "change-me-in-production", "FATAL: TESSERA_ADMIN_SECRET is a known-weak default; run 'tessera init' to generate a secure config, or set a strong secret" },
    };

    [Theory]
    [MemberData(nameof(BadSecrets))]
    public async Task Serve_ExitsWithOneFatalLine_WhenAdminSecretIsBad(string name, string? secret, string expected)
    {
        _ = name;
        string dir = TesseraProcess.TempDirectory();
        var env = new Dictionary<string, string?> { ["TESSERA_DB"] = Path.Combine(dir, "t.db"), ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(dir, "k.json") };
        if (secret is not null)
        {
            env["TESSERA_ADMIN_SECRET"] = secret;
        }

        using var process = TesseraProcess.Start(dir, env, "serve", "--urls", $"http://127.0.0.1:{TesseraProcess.FreePort()}");

        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(expected, Assert.Single(lines));
    }

    [Theory]
    [InlineData("TESSERA_SIGNING_ALG", "HS256", "FATAL: TESSERA_SIGNING_ALG must be EdDSA, ES256 or RS256 (got 'HS256')")]
    [InlineData("TESSERA_DEFAULT_TTL", "0", "FATAL: TESSERA_DEFAULT_TTL must be a positive number of seconds")]
    [InlineData("TESSERA_TRUST_DOMAIN", "Bad Domain", "FATAL: TESSERA_TRUST_DOMAIN must be lowercase letters, digits, '.', '-' or '_'")]
    [InlineData("TESSERA_DB", "postgres://tessera@db.example.test/tessera?no_such_option=1", "FATAL: TESSERA_DB: not a valid PostgreSQL URL (postgres://user:password@host:port/database)")]
    [InlineData("TESSERA_DB", "Host=db.example.test;No Such Option=1", "FATAL: TESSERA_DB: not a valid PostgreSQL connection string (Host=...;Username=...;Database=...)")]
    [InlineData("TESSERA_KEY_ENCRYPTION_KEY", "c2hvcnQ=", "FATAL: TESSERA_KEY_ENCRYPTION_KEY must be base64 of exactly 32 bytes (for example: openssl rand -base64 32)")]
    [InlineData("TESSERA_KEY_ENCRYPTION_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "FATAL: TESSERA_KEY_ENCRYPTION_KEY is for a PostgreSQL TESSERA_DB (keys shared by replicas); with SQLite the signing keys stay in their key files")]
    public async Task Serve_ExitsWithOneFatalLine_WhenASettingIsInvalid(string variable, string value, string expected)
    {
        string dir = TesseraProcess.TempDirectory();
        var env = new Dictionary<string, string?>
        {
            ["TESSERA_ADMIN_SECRET"] = "a-perfectly-strong-secret-1234",
            ["TESSERA_DB"] = Path.Combine(dir, "t.db"),
            [variable] = value,
        };

        using var process = TesseraProcess.Start(dir, env, "serve", "--urls", $"http://127.0.0.1:{TesseraProcess.FreePort()}");

        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(expected, process.Stderr.Trim());
    }

    [Fact]
    public async Task Serve_ExitsWithOneFatalLineWithoutThePassword_WhenPostgreSqlIsUnreachable()
    {
        string dir = TesseraProcess.TempDirectory();
        var env = new Dictionary<string, string?>
        {
            ["TESSERA_ADMIN_SECRET"] = "a-perfectly-strong-secret-1234",
            ["TESSERA_DB"] = "postgres://tessera:hunter2-pw@127.0.0.1:1/tessera",
            ["TESSERA_SIGNING_KEY_PATH"] = Path.Combine(dir, "k.json"),
        };

        using var process = TesseraProcess.Start(dir, env, "serve", "--urls", $"http://127.0.0.1:{TesseraProcess.FreePort()}");

        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("FATAL: ", Assert.Single(process.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.DoesNotContain("hunter2", process.Stderr + process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ExitsWithFatal_WhenConfigFileIsMissingOrMalformed()
    {
        string dir = TesseraProcess.TempDirectory();
        using (var missing = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "serve", "--config", "nope.json"))
        {
            Assert.Equal(1, await missing.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal("FATAL: config file not found at path: nope.json", missing.Stderr.Trim());
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "bad.json"), "{ not json");
        using var malformed = TesseraProcess.Start(dir, new Dictionary<string, string?>(), "serve", "--config", "bad.json");
        Assert.Equal(1, await malformed.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("FATAL: ", malformed.Stderr.Trim());
        Assert.Single(malformed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
