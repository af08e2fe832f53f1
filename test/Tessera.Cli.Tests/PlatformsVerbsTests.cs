using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tessera.Cli.Admin;

namespace Tessera.Cli.Tests;

/// <summary>One broker for the platform, agent and token verb tests; the token endpoint's per-address limit is lifted so tests can exchange freely.</summary>
public sealed class CredentialsBrokerFixture : IAsyncLifetime
{
    internal CliBroker Broker { get; private set; } = null!;

    public string Url => Broker.Url;

    public async Task InitializeAsync() =>
        Broker = await CliBroker.StartAsync(new Dictionary<string, string?>
        {
            ["token_address_rate"] = "100000",
            ["token_address_burst"] = "100000",
            ["agent_rate"] = "1000",
            ["agent_burst"] = "1000",
        });

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

/// <summary>
/// <c>tessera platforms create|list|show|update|remove|rotate-secret|scopes-file</c> against a real
/// broker over real HTTP: human and --json output, routes files in JSON and in the scopes-file
/// YAML, the verifier settings <c>show</c> prints, error exits, and secrets shown once.
/// </summary>
public sealed class PlatformsVerbsTests(CredentialsBrokerFixture fixture) : IClassFixture<CredentialsBrokerFixture>
{
    private const string Secret = CliBroker.AdminSecret;

    private const string ShownOnce = "The client secret is shown once; store it in your secret manager now.";

    private const string RoutesYaml = """
        platform_id: "{0}"
        version: 7
        routes:
          - method: GET
            path: /orders/{id}
            scope: read:orders
          - method: POST
            path: /orders
            scopes: [write:orders, read:orders]
            match: all
          - method: GET
            path: /health
            public: true
        """;

    private static readonly CancellationToken None = CancellationToken.None;

    private string Url => fixture.Url;

    private HttpClient Http => fixture.Broker.Client;

    internal static string NewId() => "plat-" + Guid.NewGuid().ToString("N")[..12];

    private static string WriteFile(string name, string text)
    {
        string path = Path.Combine(TesseraProcess.TempDirectory(), name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string YamlFor(string platformId) => RoutesYaml.Replace("{0}", platformId, StringComparison.Ordinal);

    private Task<CliResult> CreateAsync(PlatformFields fields, bool json = false, string? secret = Secret) =>
        Cli.RunAsync((o, e) => PlatformsCommand.CreateAsync(Url, fields, json, o, e, None, secret));

    private Task<CliResult> ShowAsync(string id, bool json = false) =>
        Cli.RunAsync((o, e) => PlatformsCommand.ShowAsync(Url, id, json, o, e, None, Secret));

    private static PlatformFields Basic(string id, string? routesFile = null) =>
        new(id, "Shop " + id, ["shop.example.com"], ["read:orders", "write:orders"], routesFile);

    private async Task<(JsonNode Created, string ClientSecret)> CreatePlatformAsync(string id, string? routesFile = null)
    {
        var result = await CreateAsync(Basic(id, routesFile), json: true);
        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        return (json, json["client_secret"]!.GetValue<string>());
    }

    private async Task<HttpStatusCode> FetchScopesFileAsPlatformAsync(string id, string clientId, string clientSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/platforms/{id}/scopes-file");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientSecret}")));
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Create_PrintsFieldsAndSecretOnceAndSaysSo_WhenHumanOutput()
    {
        string id = NewId();
        string routes = WriteFile("routes.yaml", YamlFor(id));

        var result = await CreateAsync(Basic(id, routes));

        Assert.True(result.Code == 0, result.ToString());
        var fields = Cli.Fields(result.Out);
        Assert.Equal(
            ["platform_id", "name", "hostnames", "scopes", "routes", "token_profile", "version", "status", "client_id", "created_at", "updated_at", "client_secret"],
            fields.Keys);
        Assert.Equal(id, fields["platform_id"]);
        Assert.Equal("Shop " + id, fields["name"]);
        Assert.Equal("shop.example.com", fields["hostnames"]);
        Assert.Equal("read:orders write:orders", fields["scopes"]);
        Assert.Equal("3", fields["routes"]);
        Assert.Equal("tessera", fields["token_profile"]);
        Assert.Equal("1", fields["version"]);
        Assert.Equal("active", fields["status"]);
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", fields["client_id"]);
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", fields["client_secret"]);
        var routeLines = result.Out.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => Regex.Replace(l.Trim(), @"\s+", " ")).ToArray();
        Assert.Equal(["GET /orders/{id} read:orders", "POST /orders write:orders read:orders (match all)", "GET /health public"], routeLines);
        Assert.Single(Regex.Matches(result.Out, Regex.Escape(fields["client_secret"])));
        Assert.Equal(ShownOnce, result.Err.Trim());

        // The printed credentials are the platform's own: they fetch its scopes file.
        Assert.Equal(HttpStatusCode.OK, await FetchScopesFileAsPlatformAsync(id, fields["client_id"], fields["client_secret"]));
    }

    [Fact]
    public async Task Create_SendsTheRoutesArray_WhenRoutesFileIsJson()
    {
        string id = NewId();
        string bare = WriteFile("routes.json", """[{"method": "GET", "path": "/a", "scope": "read:orders"}]""");
        string wrapped = WriteFile("platform.json", $$"""{"platform_id": "{{id}}-2", "name": "ignored", "routes": [{"method": "DELETE", "path": "/b/{*rest}", "skip": true},]}""");

        var first = await CreateAsync(Basic(id, bare), json: true);
        var second = await CreateAsync(Basic(id + "-2", wrapped), json: true);

        Assert.True(first.Code == 0, first.ToString());
        Assert.Equal("""[{"method":"GET","path":"/a","scope":"read:orders"}]""", JsonNode.Parse(first.Out)!["routes"]!.ToJsonString());
        Assert.True(second.Code == 0, second.ToString());
        var json = JsonNode.Parse(second.Out)!;
        Assert.Equal("""[{"method":"DELETE","path":"/b/{*rest}","skip":true}]""", json["routes"]!.ToJsonString());
        Assert.Equal("Shop " + id + "-2", json["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Show_PrintsPlatformAndVerifierSettings_WhenHumanAndJson()
    {
        string id = NewId();
        var (created, clientSecret) = await CreatePlatformAsync(id, WriteFile("r.yaml", YamlFor(id)));

        var human = await ShowAsync(id);
        var json = await ShowAsync(id, json: true);

        Assert.True(human.Code == 0, human.ToString());
        var fields = Cli.Fields(human.Out);
        Assert.Equal(created["client_id"]!.GetValue<string>(), fields["client_id"]);
        Assert.Equal("-", fields["previous_secret_valid_until"]);
        Assert.Contains("The platform's verifier checks tokens against:", human.Out, StringComparison.Ordinal);
        Assert.Equal("http://tessera.cli.test", fields["issuer"]);
        Assert.Equal("http://tessera.cli.test/.well-known/jwks.json", fields["jwks_uri"]);
        Assert.Equal(id, fields["audience"]);
        Assert.Equal("EdDSA", fields["algorithm"]);
        Assert.Equal("", human.Err);

        Assert.True(json.Code == 0, json.ToString());
        var platform = JsonNode.Parse(json.Out)!.AsObject();
        Assert.Equal(id, platform["platform_id"]!.GetValue<string>());
        Assert.Equal(3, platform["routes"]!.AsArray().Count);
        Assert.False(platform.ContainsKey("client_secret"));
        Assert.Equal("""{"issuer":"http://tessera.cli.test","jwks_uri":"http://tessera.cli.test/.well-known/jwks.json","audience":"%","algorithm":"EdDSA"}""".Replace("%", id, StringComparison.Ordinal), platform["verifier"]!.ToJsonString());
        Assert.DoesNotContain(clientSecret, human.Out + json.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopesFile_RoundTripsThroughUpdate_WhenWrittenToAFileAndReadBack()
    {
        string id = NewId();
        await CreatePlatformAsync(id, WriteFile("r.yaml", YamlFor(id)));
        string file = Path.Combine(TesseraProcess.TempDirectory(), "scopes.yaml");

        var stdout = await Cli.RunAsync((o, e) => PlatformsCommand.ScopesFileAsync(Url, id, null, o, e, None, Secret));
        var written = await Cli.RunAsync((o, e) => PlatformsCommand.ScopesFileAsync(Url, id, file, o, e, None, Secret));
        var updated = await Cli.RunAsync((o, e) => PlatformsCommand.UpdateAsync(Url, new PlatformFields(id, RoutesFile: file), true, o, e, None, Secret));

        Assert.True(stdout.Code == 0, stdout.ToString());
        Assert.StartsWith("# Generated by the Tessera broker.", stdout.Out, StringComparison.Ordinal);
        Assert.Contains($"platform_id: \"{id}\"\nversion: 1\n", stdout.Out, StringComparison.Ordinal);
        Assert.True(written.Code == 0, written.ToString());
        Assert.Equal(stdout.Out, File.ReadAllText(file));
        Assert.Equal($"wrote the scopes file of {id} to {file}", written.Err.Trim());
        Assert.Equal("", written.Out);
        Assert.True(updated.Code == 0, updated.ToString());
        var json = JsonNode.Parse(updated.Out)!;
        Assert.Equal(2, json["version"]!.GetValue<int>());

        // The same rules; the scopes file lists them in the order the verifier tries them (most
        // specific first, stored order on a tie), so /orders/{id} now comes after the literals.
        Assert.Equal(
            """[{"method":"POST","path":"/orders","scopes":["write:orders","read:orders"],"match":"all"},{"method":"GET","path":"/health","public":true},{"method":"GET","path":"/orders/{id}","scope":"read:orders"}]""",
            json["routes"]!.ToJsonString());
    }

    [Fact]
    public async Task Update_ReplacesOnlyTheGivenFields_WhenSomeOptionsGiven()
    {
        string id = NewId();
        await CreatePlatformAsync(id);

        var result = await Cli.RunAsync((o, e) => PlatformsCommand.UpdateAsync(
            Url, new PlatformFields(id, Hostnames: ["api.example.com", "API.example.org"], Scopes: ["read:orders"]), false, o, e, None, Secret));
        var empty = await Cli.RunAsync((o, e) => PlatformsCommand.UpdateAsync(Url, new PlatformFields(id), false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        var fields = Cli.Fields(result.Out);
        Assert.Equal("Shop " + id, fields["name"]);
        Assert.Equal("api.example.com api.example.org", fields["hostnames"]);
        Assert.Equal("read:orders", fields["scopes"]);
        Assert.Equal("-", fields["routes"]);
        Assert.Equal("2", fields["version"]);
        Assert.False(fields.ContainsKey("client_secret"));
        Assert.Equal("", result.Err);
        Assert.Equal(2, empty.Code);
        Assert.Equal("error: broker answered 400 invalid_request: at least one of name, hostnames, scopes, routes or token_profile must be provided", Cli.FirstLine(empty.Err));
    }

    [Fact]
    public async Task RotateSecret_OldSecretStopsAtOnce_WhenGraceIsZero()
    {
        string id = NewId();
        var (created, oldSecret) = await CreatePlatformAsync(id);
        string clientId = created["client_id"]!.GetValue<string>();

        var result = await Cli.RunAsync((o, e) => PlatformsCommand.RotateSecretAsync(Url, id, 0, false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        var fields = Cli.Fields(result.Out);
        Assert.Equal(["platform_id", "client_id", "client_secret", "previous_secret_valid_until"], fields.Keys);
        Assert.Equal(clientId, fields["client_id"]);
        Assert.NotEqual(oldSecret, fields["client_secret"]);
        Assert.Equal("-", fields["previous_secret_valid_until"]);
        Assert.Equal(ShownOnce, result.Err.Trim());
        Assert.Equal(HttpStatusCode.Unauthorized, await FetchScopesFileAsPlatformAsync(id, clientId, oldSecret));
        Assert.Equal(HttpStatusCode.OK, await FetchScopesFileAsPlatformAsync(id, clientId, fields["client_secret"]));
    }

    [Fact]
    public async Task ListAndRemove_ShowRowThenRemoved_WhenPlatformExists()
    {
        string id = NewId();
        var (created, clientSecret) = await CreatePlatformAsync(id);

        var list = await Cli.RunAsync((o, e) => PlatformsCommand.ListAsync(Url, false, o, e, None, Secret));
        var removed = await Cli.RunAsync((o, e) => PlatformsCommand.SendAsync(Url, HttpMethod.Delete, PlatformsCommand.Path(id), null, false, o, e, None, Secret));
        var shown = await ShowAsync(id);

        Assert.True(list.Code == 0, list.ToString());
        var lines = Cli.Lines(list.Out);
        Assert.Matches(@"^PLATFORM ID\s+VER\s+PROFILE\s+CLIENT ID\s+HOSTNAMES\s+SCOPES$", lines[0]);
        Assert.Matches($@"^{id}\s+1 tessera\s+{created["client_id"]}\s+shop\.example\.com\s+read:orders write:orders$", Assert.Single(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal)));
        Assert.DoesNotContain(clientSecret, list.Out, StringComparison.Ordinal);
        Assert.True(removed.Code == 0, removed.ToString());
        var fields = Cli.Fields(removed.Out);
        Assert.Equal(["platform_id", "status", "removed_at"], fields.Keys);
        Assert.Equal("removed", fields["status"]);
        Assert.Equal(2, shown.Code);
        Assert.Equal("error: broker answered 404 not_found: platform not found", Cli.FirstLine(shown.Err));
        Assert.Equal("", shown.Out);
    }

    public static TheoryData<string, string, string> BadRoutesFiles => new()
    {
        { "missing", "", "cannot read --routes-file {file}: " },
        { "bad yaml", "routes: [\n  - method: GET\n    path: /x\n", "--routes-file {file}: line " },
        { "unknown top-level key", "platform_id: \"{id}\"\nroute:\n  - method: GET\n", "--routes-file {file}: line 2: unexpected or malformed key 'route' (expected platform_id, version, routes)" },
        { "unknown route key", "routes:\n  - method: GET\n    path: /x\n    scop: read:orders\n", "--routes-file {file}: line 4: unexpected or malformed key 'scop' (a route has method, path, and scope, scopes with match, public: true or skip: true)" },
        { "public not a boolean", "routes:\n  - method: GET\n    path: /x\n    public: maybe\n", "--routes-file {file}: line 4: unexpected or malformed key 'public'" },
        { "another platform", "platform_id: other-platform\nroutes: []\n", "--routes-file {file}: the file is for platform 'other-platform', not '{id}'; change its platform_id if you mean to reuse its routes" },
        { "json without routes", "{\"rules\": []}", "--routes-file {file}: expected a JSON object with a routes array, or the array itself" },
        { "bad json", "{\"routes\": [", "--routes-file {file}: line 1: not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadRoutesFiles))]
    public async Task Create_ExitsOneAndCreatesNothing_WhenRoutesFileIsBad(string name, string content, string expected)
    {
        string id = NewId();
        string file = name == "missing" ? Path.Combine(TesseraProcess.TempDirectory(), "nope.yaml") : WriteFile("routes.txt", content.Replace("{id}", id, StringComparison.Ordinal));

        var result = await CreateAsync(Basic(id, file));
        var shown = await ShowAsync(id);

        Assert.Equal(1, result.Code);
        Assert.StartsWith("error: " + expected.Replace("{file}", file, StringComparison.Ordinal).Replace("{id}", id, StringComparison.Ordinal), result.Err, StringComparison.Ordinal);
        Assert.Single(Cli.Lines(result.Err));
        Assert.Equal("", result.Out);
        Assert.Equal(2, shown.Code);
    }

    public static TheoryData<string, string, string, string> BrokerRefusals => new()
    {
        { "Bad-Id", "a.example", "read:x", "400 invalid_request: invalid platform_id: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters" },
        { "{id}", "https://a.example", "read:x", "400 invalid_request: hostnames: 'https://a.example' is not a host name (letters, digits, hyphens and dots; no scheme, port or path)" },
        { "{id}", "a.example", "admin:keys:*", "400 invalid_scope_format: scope 'admin:keys:*' is in a namespace reserved for the broker's own tokens" },
    };

    [Theory]
    [MemberData(nameof(BrokerRefusals))]
    public async Task Create_ExitsTwoWithErrorCode_WhenBrokerRefuses(string platformId, string hostname, string scope, string expected)
    {
        var fields = new PlatformFields(platformId.Replace("{id}", NewId(), StringComparison.Ordinal), null, [hostname], [scope]);

        var result = await CreateAsync(fields);

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered " + expected, Cli.FirstLine(result.Err));
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Create_ExitsTwo_WhenARouteScopeIsNotThePlatforms()
    {
        string id = NewId();
        string routes = WriteFile("r.json", """{"routes": [{"method": "GET", "path": "/x", "scope": "delete:everything"}]}""");

        var result = await CreateAsync(Basic(id, routes));

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 400 invalid_request: routes[0]: scope 'delete:everything' is not one of the platform's scopes", Cli.FirstLine(result.Err));
    }

    public static TheoryData<string> IdVerbs => ["show", "update", "remove", "rotate-secret", "scopes-file"];

    [Theory]
    [MemberData(nameof(IdVerbs))]
    public async Task IdVerb_ExitsTwoWithNotFound_WhenPlatformIsUnknown(string verb)
    {
        const string id = "no-such-platform";

        var result = await Cli.RunAsync((o, e) => verb switch
        {
            "show" => PlatformsCommand.ShowAsync(Url, id, false, o, e, None, Secret),
            "update" => PlatformsCommand.UpdateAsync(Url, new PlatformFields(id, Name: "x"), false, o, e, None, Secret),
            "remove" => PlatformsCommand.SendAsync(Url, HttpMethod.Delete, PlatformsCommand.Path(id), null, false, o, e, None, Secret),
            "rotate-secret" => PlatformsCommand.RotateSecretAsync(Url, id, 0, false, o, e, None, Secret),
            "scopes-file" => PlatformsCommand.ScopesFileAsync(Url, id, null, o, e, None, Secret),
            _ => throw new ArgumentOutOfRangeException(nameof(verb)),
        });

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 404 not_found: platform not found", Cli.FirstLine(result.Err));
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Create_ExitsOne_WhenAdminSecretIsNotSet()
    {
        var result = await CreateAsync(Basic(NewId()), secret: "");

        Assert.Equal(1, result.Code);
        Assert.Equal("error: TESSERA_ADMIN_SECRET is not set; export the admin secret to use admin commands", result.Err.Trim());
    }

    [Fact]
    public void PlatformsParser_RequiresHostnameAndScopeAndAKnownProfile_WhenCreating()
    {
        var root = new RootCommand { PlatformsCommand.Create(TextWriter.Null, TextWriter.Null) };

        Assert.NotEmpty(root.Parse(["platforms", "create", "shop", "--scope", "read:x"]).Errors);
        Assert.NotEmpty(root.Parse(["platforms", "create", "shop", "--hostname", "a.example"]).Errors);
        Assert.NotEmpty(root.Parse(["platforms", "create", "--hostname", "a.example", "--scope", "read:x"]).Errors);
        Assert.NotEmpty(root.Parse(["platforms", "create", "shop", "--hostname", "a.example", "--scope", "read:x", "--token-profile", "jwt"]).Errors);
        Assert.NotEmpty(root.Parse(["platforms", "rotate-secret", "shop", "--grace", "soon"]).Errors);
        Assert.NotEmpty(root.Parse(["platforms", "show"]).Errors);
        Assert.Empty(root.Parse(["platforms", "create", "shop", "--name", "Shop", "--hostname", "a.example", "b.example", "--scope", "read:x", "--scope", "write:x", "--routes-file", "r.yaml", "--token-profile", "mudraid", "--json"]).Errors);
        Assert.Empty(root.Parse(["platforms", "update", "shop", "--scope", "read:x"]).Errors);
        Assert.Empty(root.Parse(["platforms", "scopes-file", "shop", "-o", "f.yaml"]).Errors);
    }

    [Fact]
    public async Task PlatformsProcess_CreatesShowsUpdatesExportsAndRemoves_WhenRunAsTheRealExecutable()
    {
        string id = NewId();
        var env = Cli.AdminEnvironment();
        string routes = WriteFile("routes.yaml", YamlFor(id));
        string exported = Path.Combine(TesseraProcess.TempDirectory(), "exported.yaml");

        var created = await Cli.RunProcessAsync(env, "platforms", "create", id, "--broker", Url, "--name", "Shop", "--hostname", "shop.example.com", "--hostname", "shop.example.org", "--scope", "read:orders", "write:orders", "--routes-file", routes);
        var duplicate = await Cli.RunProcessAsync(env, "platforms", "create", id, "--broker", Url, "--hostname", "x.example", "--scope", "read:orders", "--json");
        var badProfile = await Cli.RunProcessAsync(env, "platforms", "create", id + "-x", "--broker", Url, "--hostname", "x.example", "--scope", "read:orders", "--token-profile", "jwt");
        var badRoutes = await Cli.RunProcessAsync(env, "platforms", "create", id + "-y", "--broker", Url, "--hostname", "x.example", "--scope", "read:orders", "--routes-file", exported);

        Assert.True(created.Code == 0, created.ToString());
        var fields = Cli.Fields(created.Out);
        Assert.Equal(id, fields["platform_id"]);
        Assert.Equal("shop.example.com shop.example.org", fields["hostnames"]);
        Assert.Equal("3", fields["routes"]);
        Assert.Contains(ShownOnce, created.Err, StringComparison.Ordinal);
        Assert.Equal(2, duplicate.Code);
        Assert.Equal($"error: broker answered 409 conflict: a platform with id '{id}' already exists", Cli.FirstLine(duplicate.Err));
        Assert.Equal("", duplicate.Out.Trim());
        Assert.Equal(1, badProfile.Code);
        Assert.Contains("jwt", badProfile.Err, StringComparison.Ordinal);
        Assert.Equal(1, badRoutes.Code);
        Assert.StartsWith($"error: cannot read --routes-file {exported}: ", badRoutes.Err, StringComparison.Ordinal);

        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(env, "platforms", "show", id, "--broker", Url),
            Cli.RunProcessAsync(env, "platforms", "list", "--broker", Url, "--json"),
            Cli.RunProcessAsync(env, "platforms", "scopes-file", id, "--broker", Url, "-o", exported));

        Assert.True(runs[0].Code == 0, runs[0].ToString());
        Assert.Matches(@"(?m)^issuer:\s+http://tessera\.cli\.test\s*$", runs[0].Out);
        Assert.Matches(@"(?m)^jwks_uri:\s+http://tessera\.cli\.test/\.well-known/jwks\.json\s*$", runs[0].Out);
        Assert.Matches($@"(?m)^audience:\s+{id}\s*$", runs[0].Out);
        Assert.DoesNotContain(fields["client_secret"], runs[0].Out, StringComparison.Ordinal);
        Assert.True(runs[1].Code == 0, runs[1].ToString());
        Assert.Contains(JsonNode.Parse(runs[1].Out)!["platforms"]!.AsArray(), p => p!["platform_id"]!.GetValue<string>() == id);
        Assert.DoesNotContain("client_secret", runs[1].Out, StringComparison.Ordinal);
        Assert.True(runs[2].Code == 0, runs[2].ToString());
        Assert.Contains($"platform_id: \"{id}\"", File.ReadAllText(exported), StringComparison.Ordinal);

        // On the mudraid profile, tokens are RS256 and the multi-scope route has no place in MudraID's scopes file.
        var mudraid = await Cli.RunProcessAsync(env, "platforms", "update", id, "--broker", Url, "--token-profile", "mudraid", "--json");
        var shownMudraid = await Cli.RunProcessAsync(env, "platforms", "show", id, "--broker", Url, "--json");
        var noScopesFile = await Cli.RunProcessAsync(env, "platforms", "scopes-file", id, "--broker", Url);

        Assert.True(mudraid.Code == 0, mudraid.ToString());
        Assert.Equal("mudraid", JsonNode.Parse(mudraid.Out)!["token_profile"]!.GetValue<string>());
        Assert.Equal("RS256", JsonNode.Parse(shownMudraid.Out)!["verifier"]!["algorithm"]!.GetValue<string>());
        Assert.Equal(2, noScopesFile.Code);
        Assert.StartsWith("error: broker answered 409 conflict: the routes cannot be written in MudraID's scopes file format: ", noScopesFile.Err, StringComparison.Ordinal);
        Assert.Equal("", noScopesFile.Out.Trim());

        var rotated = await Cli.RunProcessAsync(env, "platforms", "rotate-secret", id, "--broker", Url, "--grace", "60", "--json");
        var removed = await Cli.RunProcessAsync(env, "platforms", "remove", id, "--broker", Url);
        var gone = await Cli.RunProcessAsync(env, "platforms", "show", id, "--broker", Url);

        Assert.True(rotated.Code == 0, rotated.ToString());
        Assert.NotNull(JsonNode.Parse(rotated.Out)!["previous_secret_valid_until"]);
        Assert.True(removed.Code == 0, removed.ToString());
        Assert.Matches(@"(?m)^status:\s+removed\s*$", removed.Out);
        Assert.Equal(2, gone.Code);
        Assert.Equal("error: broker answered 404 not_found: platform not found", Cli.FirstLine(gone.Err));
    }
}
