using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tessera.Cli.Admin;

namespace Tessera.Cli.Tests;

/// <summary>One broker for the admin-verb tests (checkpoint every 3 events so exports carry checkpoints).</summary>
public sealed class AdminBrokerFixture : IAsyncLifetime
{
    internal CliBroker Broker { get; private set; } = null!;

    public string Url => Broker.Url;

    public async Task InitializeAsync() =>
        Broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["audit_checkpoint_interval"] = "3" });

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

public sealed partial class AdminVerbsTests(AdminBrokerFixture fixture) : IClassFixture<AdminBrokerFixture>
{
    private const string Secret = CliBroker.AdminSecret;

    private static readonly CancellationToken None = CancellationToken.None;

    private string Url => fixture.Url;

    [GeneratedRegex("^launch token: ([0-9a-f]{64})$", RegexOptions.Multiline)]
    private static partial Regex LaunchTokenLine();

    private Task<CliResult> CreateLaunchTokenAsync(bool json, string[]? scope = null, bool multiUse = false, string[]? audience = null, int? maxTtl = null, int? ttl = null, string? secret = Secret, string? broker = null) =>
        Cli.RunAsync((o, e) => LaunchTokenCommand.RunAsync(broker ?? Url, "cli-agent", scope ?? ["read:data:*"], audience ?? [], maxTtl, ttl, multiUse, json, o, e, None, secret));

    private Task<CliResult> RevokeAsync(string level, string target, bool json, string? reason = null) =>
        Cli.RunAsync((o, e) => RevokeCommand.RunAsync(Url, level, target, reason, json, o, e, None, Secret));

    private Task<CliResult> KeysAsync(bool rotate, bool json) =>
        Cli.RunAsync((o, e) => KeysCommand.RunAsync(Url, rotate, json, o, e, None, Secret));

    private Task<CliResult> TailAsync(int limit, bool json, string? eventType = null, string? outcome = null) =>
        Cli.RunAsync((o, e) => AuditCommand.TailAsync(Url, limit, null, eventType, outcome, json, o, e, None, Secret));

    [Fact]
    public async Task LaunchTokenCreate_PrintsTokenAndPolicy_WhenHumanOutput()
    {
        var result = await CreateLaunchTokenAsync(json: false, scope: ["read:data:*", "write:data:reports"], maxTtl: 120);

        Assert.True(result.Code == 0, result.ToString());
        var lines = Cli.Lines(result.Out);
        Assert.Equal(4, lines.Length);
        Assert.Matches(LaunchTokenLine(), lines[0]);
        Assert.Matches(@"^expires at:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[1]);
        Assert.Equal("scope:        read:data:* write:data:reports", lines[2]);
        Assert.Equal("max ttl:      120 s, single use: true", lines[3]);
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task LaunchTokenCreate_TokenRegistersAnAgent_WhenUsedForRegistration()
    {
        var result = await CreateLaunchTokenAsync(json: false, scope: ["read:data:*"]);
        string token = LaunchTokenLine().Match(result.Out).Groups[1].Value;

        var (agentId, accessToken) = await AgentRegistration.RegisterAsync(fixture.Broker.Client, token, "task-reg", "read:data:reports");

        Assert.StartsWith("spiffe://tessera.test/", agentId, StringComparison.Ordinal);
        Assert.True(await AgentRegistration.IsValidAsync(fixture.Broker.Client, accessToken));
    }

    [Fact]
    public async Task LaunchTokenCreate_PrintsBrokerJson_WhenJsonFlag()
    {
        var result = await CreateLaunchTokenAsync(json: true, scope: ["read:data:*"], multiUse: true, audience: ["svc-a", "svc-b"], maxTtl: 90, ttl: 600);

        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        Assert.Matches("^[0-9a-f]{64}$", json["launch_token"]!.GetValue<string>());
        Assert.False(json["single_use"]!.GetValue<bool>());
        Assert.Equal(["read:data:*"], json["policy"]!["allowed_scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(["svc-a", "svc-b"], json["policy"]!["allowed_audience"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(90, json["policy"]!["max_ttl"]!.GetValue<int>());
        var expires = DateTimeOffset.Parse(json["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(590), TimeSpan.FromSeconds(610));
    }

    [Fact]
    public async Task LaunchTokenCreate_ExitsTwoWithBrokerProblem_WhenScopeIsInAdminNamespace()
    {
        var result = await CreateLaunchTokenAsync(json: false, scope: ["admin:revoke:*"]);

        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: broker answered 400 invalid_scope_format: ", result.Err, StringComparison.Ordinal);

        // One error line, then the broker it came from (this refusal carries no hint).
        Assert.Equal(["broker: " + new Uri(Url)], Cli.Lines(result.Err).Skip(1));
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Revoke_ReportsRevokedThenAlreadyRevoked_WhenRepeated()
    {
        string target = "task-" + Guid.NewGuid().ToString("N");

        var first = await RevokeAsync("task", target, json: false, reason: "incident 42");
        var second = await RevokeAsync("task", target, json: false);

        Assert.True(first.Code == 0, first.ToString());
        Assert.Matches($"^revoked task {target} \\(feed seq \\d+\\)$", first.Out.Trim());
        Assert.Equal(0, second.Code);
        Assert.Matches($"^task {target} was already revoked \\(feed seq \\d+\\)$", second.Out.Trim());
    }

    [Fact]
    public async Task Revoke_JsonCountIsOneThenZero_WhenRepeated()
    {
        string target = "jti-" + Guid.NewGuid().ToString("N");

        var first = await RevokeAsync("token", target, json: true);
        var second = await RevokeAsync("token", target, json: true);

        Assert.Equal(0, first.Code);
        var a = JsonNode.Parse(first.Out)!;
        var b = JsonNode.Parse(second.Out)!;
        Assert.True(a["revoked"]!.GetValue<bool>());
        Assert.Equal("token", a["level"]!.GetValue<string>());
        Assert.Equal(target, a["target"]!.GetValue<string>());
        Assert.Equal(1, a["count"]!.GetValue<int>());
        Assert.Equal(0, b["count"]!.GetValue<int>());
        // A repeat moves the entry's revocation time forward, so it takes a later feed position.
        Assert.True(b["sequence"]!.GetValue<long>() >= a["sequence"]!.GetValue<long>());
    }

    [Fact]
    public async Task Revoke_KillsTheAgentsToken_WhenAgentLevelIsRevoked()
    {
        var created = await CreateLaunchTokenAsync(json: true, scope: ["read:data:*"]);
        string launch = JsonNode.Parse(created.Out)!["launch_token"]!.GetValue<string>();
        var (agentId, accessToken) = await AgentRegistration.RegisterAsync(fixture.Broker.Client, launch, "task-agent-revoke", "read:data:x");
        Assert.True(await AgentRegistration.IsValidAsync(fixture.Broker.Client, accessToken));

        var result = await RevokeAsync("agent", agentId, json: false);

        Assert.Equal(0, result.Code);
        Assert.StartsWith($"revoked agent {agentId} ", result.Out, StringComparison.Ordinal);
        Assert.False(await AgentRegistration.IsValidAsync(fixture.Broker.Client, accessToken));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("TOKEN")]
    [InlineData("")]
    public void RevokeParser_RejectsLevel_WhenNotOneOfTheFour(string level)
    {
        var root = new RootCommand { RevokeCommand.Create(TextWriter.Null, TextWriter.Null) };

        var parsed = root.Parse(["revoke", "--broker", Url, "--level", level, "--target", "x"]);
        var good = root.Parse(["revoke", "--broker", Url, "--level", "chain", "--target", "x"]);

        Assert.NotEmpty(parsed.Errors);
        Assert.Empty(good.Errors);
    }

    [Fact]
    public void RevokeParser_RejectsCall_WhenTargetIsMissing()
    {
        var root = new RootCommand { RevokeCommand.Create(TextWriter.Null, TextWriter.Null) };

        Assert.NotEmpty(root.Parse(["revoke", "--level", "task"]).Errors);
    }

    [Fact]
    public async Task KeysRotate_ChangesActiveKidAndKeepsPreviousAsRetiring_WhenRotated()
    {
        var before = await KeysAsync(rotate: false, json: true);
        string oldKid = JsonNode.Parse(before.Out)!["active_kid"]!.GetValue<string>();

        var rotated = await KeysAsync(rotate: true, json: true);
        var listed = await KeysAsync(rotate: false, json: false);

        Assert.True(rotated.Code == 0, rotated.ToString());
        var json = JsonNode.Parse(rotated.Out)!;
        string newKid = json["active_kid"]!.GetValue<string>();
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(oldKid, json["previous_kid"]!.GetValue<string>());
        var keys = json["keys"]!.AsArray();
        Assert.Equal(newKid, keys[0]!["kid"]!.GetValue<string>());
        Assert.Equal("active", keys[0]!["status"]!.GetValue<string>());
        Assert.Null(keys[0]!["retires_at"]);
        var previous = keys.Single(k => k!["kid"]!.GetValue<string>() == oldKid)!;
        Assert.Equal("retiring", previous["status"]!.GetValue<string>());
        Assert.NotNull(previous["retires_at"]);

        Assert.Equal(0, listed.Code);
        var lines = Cli.Lines(listed.Out);
        Assert.StartsWith("KID", lines[0], StringComparison.Ordinal);
        Assert.Matches($"^{Regex.Escape(newKid)}\\s+EdDSA\\s+active\\s+\\S+\\s+-$", lines[1]);
        Assert.Contains(lines, l => l.StartsWith(oldKid, StringComparison.Ordinal) && Regex.IsMatch(l, @"\sretiring\s"));

        var jwks = JsonNode.Parse(await fixture.Broker.Client.GetStringAsync("/.well-known/jwks.json"))!["keys"]!.AsArray();
        Assert.Contains(jwks, k => k!["kid"]!.GetValue<string>() == oldKid);
        Assert.Contains(jwks, k => k!["kid"]!.GetValue<string>() == newKid);
    }

    [Fact]
    public async Task KeysRotate_RotatesAndListsTheProfileRing_OnceAMudraidPlatformExists()
    {
        string directory = TesseraProcess.TempDirectory();
        await using var broker = await CliBroker.StartAsync(
            new Dictionary<string, string?> { ["profile_signing_key_path"] = Path.Combine(directory, "signing-key-rs256.json") }, directory);
        var created = await Cli.RunAsync((o, e) => PlatformsCommand.CreateAsync(
            broker.Url, new PlatformFields("shop-" + Guid.NewGuid().ToString("N")[..8], Hostnames: ["shop.example"], Scopes: ["orders:read"], TokenProfile: "mudraid"), true, o, e, None, Secret));
        Assert.True(created.Code == 0, created.ToString());

        var rotated = await Cli.RunAsync((o, e) => KeysCommand.RunAsync(broker.Url, true, false, o, e, None, Secret));

        Assert.True(rotated.Code == 0, rotated.ToString());
        var rows = rotated.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(4, rows.Count);
        var rsa = rows.Where(r => r[1] == "RS256").Select(r => r[2]).ToList();
        Assert.Equal(["active", "retiring"], rsa);
        Assert.Equal(["active", "retiring"], rows.Where(r => r[1] != "RS256").Select(r => r[2]));
    }

    [Fact]
    public async Task KeysRotate_PrintsRotationLine_WhenHumanOutput()
    {
        var result = await KeysAsync(rotate: true, json: false);

        Assert.Equal(0, result.Code);
        Assert.Matches(@"^rotated: \S+ -> \S+$", Cli.Lines(result.Out)[0]);
        Assert.StartsWith("KID", Cli.Lines(result.Out)[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditTail_ShowsTheLatestEvents_WhenLimitGiven()
    {
        await RevokeAsync("task", "tail-marker-" + Guid.NewGuid().ToString("N"), json: false);

        var json = await TailAsync(3, json: true);
        var human = await TailAsync(3, json: false);

        Assert.True(json.Code == 0, json.ToString());
        var page = JsonNode.Parse(json.Out)!;
        var events = page["events"]!.AsArray();
        long total = page["total"]!.GetValue<long>();
        Assert.Equal(3, events.Count);
        Assert.Equal($"evt-{total:D6}", events[2]!["id"]!.GetValue<string>());
        Assert.Equal("admin_auth", events[2]!["event_type"]!.GetValue<string>());
        Assert.Equal("token_revoked", events[1]!["event_type"]!.GetValue<string>());
        Assert.Equal(total - 2, events[0]!["seq"]!.GetValue<long>());

        Assert.Equal(0, human.Code);
        var lines = Cli.Lines(human.Out);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"evt-{total + 1:D6}", lines[2], StringComparison.Ordinal);
        Assert.Contains("admin_auth", lines[2], StringComparison.Ordinal);
        Assert.Equal($"3 of {total + 1} events", human.Err.Trim());
    }

    [Fact]
    public async Task AuditTail_FiltersByEventType_WhenGiven()
    {
        await RevokeAsync("task", "filter-" + Guid.NewGuid().ToString("N"), json: false);

        var result = await TailAsync(5, json: true, eventType: "token_revoked");

        Assert.Equal(0, result.Code);
        var events = JsonNode.Parse(result.Out)!["events"]!.AsArray();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("token_revoked", e!["event_type"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task AuditTail_ExitsOne_WhenLimitIsOutOfRange(int limit)
    {
        var result = await TailAsync(limit, json: false);

        Assert.Equal(1, result.Code);
        Assert.Equal("error: --limit must be between 1 and 1000", result.Err.Trim());
    }

    [Fact]
    public async Task AuditExport_WritesJsonLinesEndingWithCheckpoints_WhenOutputFileGiven()
    {
        // Enough events to cross at least one checkpoint interval.
        for (int i = 0; i < 3; i++)
        {
            await RevokeAsync("task", "export-" + i + "-" + Guid.NewGuid().ToString("N"), json: false);
        }

        string file = Path.Combine(TesseraProcess.TempDirectory(), "audit.jsonl");

        var result = await Cli.RunAsync((o, e) => AuditCommand.ExportAsync(Url, file, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        Assert.Equal("", result.Out);
        Assert.Equal($"exported to {file}", result.Err.Trim());
        Assert.False(File.Exists(file + ".partial"));
        var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        int firstCheckpoint = lines.FindIndex(l => l.ContainsKey("checkpoint"));
        Assert.True(firstCheckpoint > 0, "no checkpoint lines");
        Assert.All(lines.Skip(firstCheckpoint), l => Assert.True(l.ContainsKey("checkpoint")));
        var events = lines.Take(firstCheckpoint).ToList();
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e["seq"]!.GetValue<long>()));
        Assert.All(events, e => Assert.Matches("^[0-9a-f]{64}$", e["hash"]!.GetValue<string>()));
        var checkpoint = lines[^1]["checkpoint"]!;
        Assert.InRange(checkpoint["seq"]!.GetValue<long>(), 1, events.Count);
        Assert.False(string.IsNullOrEmpty(checkpoint["signature"]!.GetValue<string>()));

        // The export verifies against the broker's JWKS, fetched by URL.
        string jwks = Url + "/.well-known/jwks.json";
        var verified = await Cli.RunAsync((o, e) => AuditCommand.VerifyAsync(null, file, jwks, false, o, e, None));
        Assert.True(verified.Code == 0, verified.ToString());
        Assert.DoesNotContain("(0 signatures verified)", verified.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditExport_WritesToStandardOutput_WhenNoFileGiven()
    {
        var result = await Cli.RunAsync((o, e) => AuditCommand.ExportAsync(Url, null, o, e, None, Secret));

        Assert.Equal(0, result.Code);
        var lines = Cli.Lines(result.Out);
        Assert.NotEmpty(lines);
        Assert.Equal("evt-000001", JsonNode.Parse(lines[0])!["id"]!.GetValue<string>());
        Assert.All(lines, l => JsonNode.Parse(l));
    }

    public static TheoryData<string> Verbs => ["launch-token create", "revoke", "audit tail", "audit export", "keys list", "keys rotate"];

    private Task<CliResult> RunVerbAsync(string verb, string broker, string? secret) => Cli.RunAsync((o, e) => verb switch
    {
        "launch-token create" => LaunchTokenCommand.RunAsync(broker, "x", ["read:data:*"], [], null, null, false, false, o, e, None, secret),
        "revoke" => RevokeCommand.RunAsync(broker, "task", "t-" + Guid.NewGuid().ToString("N"), null, false, o, e, None, secret),
        "audit tail" => AuditCommand.TailAsync(broker, 5, null, null, null, false, o, e, None, secret),
        "audit export" => AuditCommand.ExportAsync(broker, null, o, e, None, secret),
        "keys list" => KeysCommand.RunAsync(broker, false, false, o, e, None, secret),
        "keys rotate" => KeysCommand.RunAsync(broker, true, false, o, e, None, secret),
        _ => throw new ArgumentOutOfRangeException(nameof(verb)),
    });

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task AdminVerb_ExitsOne_WhenAdminSecretIsNotSet(string verb)
    {
        var result = await RunVerbAsync(verb, Url, "");

        Assert.Equal(1, result.Code);
        Assert.Equal("error: TESSERA_ADMIN_SECRET is not set; export the admin secret to use admin commands", result.Err.Trim());
        Assert.Equal("", result.Out);
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task AdminVerb_ExitsTwo_WhenAdminSecretIsWrong(string verb)
    {
        var result = await RunVerbAsync(verb, Url, "not-the-admin-secret-0000");

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 401 unauthorized: invalid credentials", Cli.FirstLine(result.Err));
        Assert.DoesNotContain("not-the-admin-secret-0000", result.Err, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task AdminVerb_ExitsThree_WhenBrokerIsUnreachable(string verb)
    {
        string broker = $"http://127.0.0.1:{TesseraProcess.FreePort()}";

        var result = await RunVerbAsync(verb, broker, Secret);

        Assert.Equal(3, result.Code);
        Assert.StartsWith($"error: cannot reach the broker at {broker}/", result.Err, StringComparison.Ordinal);
        Assert.Single(Cli.Lines(result.Err));
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task AdminVerb_ExitsOne_WhenBrokerIsNotAUrl(string verb)
    {
        var notUrl = await RunVerbAsync(verb, "not a url", Secret);
        var ftp = await RunVerbAsync(verb, "ftp://127.0.0.1/", Secret);

        Assert.Equal(1, notUrl.Code);
        Assert.Equal("error: --broker must be an http(s) URL (got 'not a url')", notUrl.Err.Trim());
        Assert.Equal(1, ftp.Code);
    }

    [Fact]
    public async Task LaunchTokenProcess_CreatesTokenAndHandlesErrors_WhenRunAsTheRealExecutable()
    {
        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "launch-token", "create", "--broker", Url, "--agent-name", "bb", "--scope", "read:data:*", "--json"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "launch-token", "create", "--broker", Url, "--agent-name", "bb", "--scope", "read:data:*", "write:data:x", "--max-ttl", "60"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "launch-token", "create", "--broker", Url, "--agent-name", "bb", "--scope", "read:data:*"),
            Cli.RunProcessAsync(Cli.AdminEnvironment("wrong-secret-wrong-secret"), "launch-token", "create", "--broker", Url, "--agent-name", "bb", "--scope", "read:data:*"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "launch-token", "create", "--broker", Url, "--scope", "read:data:*"));

        Assert.True(runs[0].Code == 0, runs[0].ToString());
        Assert.Matches("^[0-9a-f]{64}$", JsonNode.Parse(runs[0].Out)!["launch_token"]!.GetValue<string>());
        Assert.True(runs[1].Code == 0, runs[1].ToString());
        Assert.Matches(LaunchTokenLine(), runs[1].Out);
        Assert.Contains("scope:        read:data:* write:data:x", runs[1].Out, StringComparison.Ordinal);
        Assert.Contains("max ttl:      60 s", runs[1].Out, StringComparison.Ordinal);
        Assert.Equal(1, runs[2].Code);
        Assert.Contains("TESSERA_ADMIN_SECRET is not set", runs[2].Err, StringComparison.Ordinal);
        Assert.Equal(2, runs[3].Code);
        Assert.Contains("broker answered 401 unauthorized", runs[3].Err, StringComparison.Ordinal);
        Assert.Equal(1, runs[4].Code);
        Assert.Contains("--agent-name", runs[4].Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeProcess_RevokesAndRejectsBadLevel_WhenRunAsTheRealExecutable()
    {
        string target = "bb-task-" + Guid.NewGuid().ToString("N");

        var first = await Cli.RunProcessAsync(Cli.AdminEnvironment(), "revoke", "--broker", Url, "--level", "task", "--target", target, "--json");
        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "revoke", "--broker", Url, "--level", "task", "--target", target),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "revoke", "--broker", Url, "--level", "galaxy", "--target", target),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "revoke", "--broker", $"http://127.0.0.1:{TesseraProcess.FreePort()}", "--level", "task", "--target", target),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "revoke", "--broker", "127.0.0.1:8080", "--level", "task", "--target", target));

        Assert.True(first.Code == 0, first.ToString());
        Assert.Equal(1, JsonNode.Parse(first.Out)!["count"]!.GetValue<int>());
        Assert.Equal(0, runs[0].Code);
        Assert.Contains($"task {target} was already revoked", runs[0].Out, StringComparison.Ordinal);
        Assert.Equal(1, runs[1].Code);
        Assert.Contains("galaxy", runs[1].Err, StringComparison.Ordinal);
        Assert.Equal(3, runs[2].Code);
        Assert.Contains("cannot reach the broker", runs[2].Err, StringComparison.Ordinal);
        Assert.Equal(1, runs[3].Code);
        Assert.Contains("--broker must be an http(s) URL", runs[3].Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditProcess_TailsAndExports_WhenRunAsTheRealExecutable()
    {
        string file = Path.Combine(TesseraProcess.TempDirectory(), "bb-export.jsonl");

        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "audit", "tail", "--broker", Url, "--limit", "2", "--json"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "audit", "tail", "--broker", Url, "--limit", "2"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(), "audit", "export", "--broker", Url, "-o", file),
            Cli.RunProcessAsync(Cli.AdminEnvironment("wrong-secret-wrong-secret"), "audit", "tail", "--broker", Url));

        Assert.True(runs[0].Code == 0, runs[0].ToString());
        Assert.Equal(2, JsonNode.Parse(runs[0].Out)!["events"]!.AsArray().Count);
        Assert.True(runs[1].Code == 0, runs[1].ToString());
        Assert.Equal(2, Cli.Lines(runs[1].Out).Length);
        Assert.Matches(@"^2 of \d+ events$", runs[1].Err.Trim());
        Assert.True(runs[2].Code == 0, runs[2].ToString());
        Assert.Contains($"exported to {file}", runs[2].Err, StringComparison.Ordinal);
        Assert.StartsWith("{\"seq\":1,\"id\":\"evt-000001\"", File.ReadLines(file).First(), StringComparison.Ordinal);
        Assert.Equal(2, runs[3].Code);
        Assert.Contains("broker answered 401 unauthorized", runs[3].Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysProcess_ListsAndRotates_WhenRunAsTheRealExecutable()
    {
        var list = await Cli.RunProcessAsync(Cli.AdminEnvironment(), "keys", "list", "--broker", Url, "--json");
        var rotate = await Cli.RunProcessAsync(Cli.AdminEnvironment(), "keys", "rotate", "--broker", Url);
        var noSecret = await Cli.RunProcessAsync(Cli.AdminEnvironment(null), "keys", "list", "--broker", Url);

        Assert.True(list.Code == 0, list.ToString());
        string active = JsonNode.Parse(list.Out)!["active_kid"]!.GetValue<string>();
        Assert.True(rotate.Code == 0, rotate.ToString());
        Assert.StartsWith($"rotated: {active} -> ", rotate.Out, StringComparison.Ordinal);
        Assert.Equal(1, noSecret.Code);
        Assert.Contains("TESSERA_ADMIN_SECRET is not set", noSecret.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminVerbs_ReadTheOldBrokerVariableWithAWarning_WhenOnlyItIsSet()
    {
        var env = Cli.AdminEnvironment();
        env["TESSERA_BROKER"] = null;
        env["TESSERA_BROKER_URL"] = Url;

        var result = await Cli.RunProcessAsync(env, "keys", "list");

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith("KID", result.Out, StringComparison.Ordinal);
        Assert.Contains("warning: TESSERA_BROKER_URL is the old name of TESSERA_BROKER; set TESSERA_BROKER instead", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminVerbs_PreferTessera_Broker_OverTheOldName_AndNameTheBrokerOnARefusal()
    {
        var env = Cli.AdminEnvironment("wrong-secret-wrong-secret");
        env["TESSERA_BROKER"] = Url;
        env["TESSERA_BROKER_URL"] = "http://127.0.0.1:1";

        var result = await Cli.RunProcessAsync(env, "keys", "list");

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 401 unauthorized: invalid credentials", Cli.FirstLine(result.Err));
        Assert.Contains($"  broker: {new Uri(Url)}", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("warning:", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminVerbs_UseBrokerUrlFromEnvironment_WhenBrokerOptionIsOmitted()
    {
        var env = Cli.AdminEnvironment();
        env["TESSERA_BROKER"] = Url;

        var result = await Cli.RunProcessAsync(env, "keys", "list");

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith("KID", result.Out, StringComparison.Ordinal);
    }
}
