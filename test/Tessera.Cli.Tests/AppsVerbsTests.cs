using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tessera.Cli.Admin;

namespace Tessera.Cli.Tests;

/// <summary>One broker for the apps-verb tests; app authentication is not rate limited here so tests can log in freely.</summary>
public sealed class AppsBrokerFixture : IAsyncLifetime
{
    internal CliBroker Broker { get; private set; } = null!;

    public string Url => Broker.Url;

    public async Task InitializeAsync() =>
        Broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["app_auth_rate"] = "6000", ["app_auth_burst"] = "1000" });

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

/// <summary>
/// <c>tessera apps create|list|show|update|rotate-secret|remove</c> against a real broker over
/// real HTTP: the human and --json outputs, what the broker then does with the app's
/// credentials, the error exits, and that the admin secret never shows in any output.
/// </summary>
public sealed partial class AppsVerbsTests(AppsBrokerFixture fixture) : IClassFixture<AppsBrokerFixture>
{
    private const string Secret = CliBroker.AdminSecret;

    private const string ShownOnce = "The client secret is shown once; store it in your secret manager now.";

    private static readonly CancellationToken None = CancellationToken.None;

    private string Url => fixture.Url;

    private HttpClient Http => fixture.Broker.Client;

    [GeneratedRegex(@"^client_secret:\s+(tsr_sk_[A-Za-z0-9_-]{43})$", RegexOptions.Multiline)]
    private static partial Regex ClientSecretLine();

    private static string NewName() => "cli-" + Guid.NewGuid().ToString("N")[..12];

    private static string AppPath(string id) => $"/v1/admin/apps/{Uri.EscapeDataString(id)}";

    private Task<CliResult> CreateAsync(string name, string[]? scopes = null, int? tokenTtl = null, bool json = false, string? secret = Secret) =>
        Cli.RunAsync((o, e) => AppsCommand.CreateAsync(Url, name, scopes ?? ["read:data:*"], tokenTtl, json, o, e, None, secret));

    private Task<CliResult> ListAsync(bool json, string? secret = Secret) =>
        Cli.RunAsync((o, e) => AppsCommand.ListAsync(Url, json, o, e, None, secret));

    private Task<CliResult> ShowAsync(string id, bool json = false, string? secret = Secret) =>
        Cli.RunAsync((o, e) => AppsCommand.SendAsync(Url, HttpMethod.Get, AppPath(id), null, json, o, e, None, secret));

    // The body the update verb builds from --scope and --token-ttl.
    private Task<CliResult> UpdateAsync(string id, string[]? scopes = null, int? tokenTtl = null, bool json = false, string? secret = Secret)
    {
        var body = new JsonObject();
        if (scopes is { Length: > 0 })
        {
            body["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]);
        }

        if (tokenTtl is { } t)
        {
            body["token_ttl"] = t;
        }

        return Cli.RunAsync((o, e) => AppsCommand.SendAsync(Url, HttpMethod.Put, AppPath(id), body, json, o, e, None, secret));
    }

    // The body the rotate-secret verb builds from --grace.
    private Task<CliResult> RotateAsync(string id, int? grace = null, bool json = false, string? secret = Secret)
    {
        var body = new JsonObject();
        if (grace is { } g)
        {
            body["grace_seconds"] = g;
        }

        return Cli.RunAsync((o, e) => AppsCommand.SendAsync(Url, HttpMethod.Post, AppPath(id) + "/rotate-secret", body, json, o, e, None, secret));
    }

    private Task<CliResult> RemoveAsync(string id, bool json = false, string? secret = Secret) =>
        Cli.RunAsync((o, e) => AppsCommand.SendAsync(Url, HttpMethod.Delete, AppPath(id), null, json, o, e, None, secret));

    /// <summary>Creates an app with --json and returns its id, client id and secret.</summary>
    private async Task<(string AppId, string ClientId, string ClientSecret)> CreateAppAsync(string? name = null, string[]? scopes = null)
    {
        var result = await CreateAsync(name ?? NewName(), scopes, json: true);
        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        return (json["app_id"]!.GetValue<string>(), json["client_id"]!.GetValue<string>(), json["client_secret"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> AppAuthAsync(string clientId, string clientSecret) =>
        await Http.PostAsJsonAsync("/v1/app/auth", new JsonObject { ["client_id"] = clientId, ["client_secret"] = clientSecret });

    /// <summary>The "key: value" lines of the human output, as a dictionary.</summary>
    private static Dictionary<string, string> Fields(string output) =>
        Cli.Lines(output).Select(l => Regex.Match(l, @"^([a-z_]+):\s+(.*)$")).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim(), StringComparer.Ordinal);

    [Fact]
    public async Task Create_ListsIdsAndSecretAndSaysShownOnce_WhenHumanOutput()
    {
        string name = NewName();

        var result = await CreateAsync(name, ["read:data:*", "write:data:reports"], tokenTtl: 900);

        Assert.True(result.Code == 0, result.ToString());
        var fields = Fields(result.Out);
        Assert.Equal(["app_id", "name", "client_id", "client_secret", "scopes", "token_ttl", "status"], fields.Keys);
        Assert.Matches($"^app-{name}-[0-9a-f]{{6}}$", fields["app_id"]);
        Assert.Equal(name, fields["name"]);
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", fields["client_id"]);
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", fields["client_secret"]);
        Assert.Equal("read:data:* write:data:reports", fields["scopes"]);
        Assert.Equal("900", fields["token_ttl"]);
        Assert.Equal("active", fields["status"]);
        Assert.Single(Regex.Matches(result.Out, Regex.Escape(fields["client_secret"])));
        Assert.Equal(ShownOnce, result.Err.Trim());
        Assert.DoesNotContain(fields["client_secret"], result.Err, StringComparison.Ordinal);

        // The printed credentials log in.
        using var auth = await AppAuthAsync(fields["client_id"], fields["client_secret"]);
        Assert.Equal(HttpStatusCode.OK, auth.StatusCode);
        Assert.Equal(900, (await auth.Content.ReadFromJsonAsync<JsonObject>())!["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_PrintsEveryField_WhenJsonFlag()
    {
        string name = NewName();

        var result = await CreateAsync(name, ["read:data:*"], json: true);

        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!.AsObject();
        Assert.Equal(["app_id", "name", "client_id", "client_secret", "scopes", "token_ttl", "status"], json.Select(p => p.Key));
        Assert.Matches($"^app-{name}-[0-9a-f]{{6}}$", json["app_id"]!.GetValue<string>());
        Assert.Equal(name, json["name"]!.GetValue<string>());
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", json["client_id"]!.GetValue<string>());
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", json["client_secret"]!.GetValue<string>());
        Assert.Equal(["read:data:*"], json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(1800, json["token_ttl"]!.GetValue<int>());
        Assert.Equal("active", json["status"]!.GetValue<string>());
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task List_ShowsTableRowWithoutSecret_WhenHumanOutput()
    {
        var (appId, clientId, clientSecret) = await CreateAppAsync(scopes: ["read:data:*", "write:data:x"]);

        var result = await ListAsync(json: false);

        Assert.True(result.Code == 0, result.ToString());
        var lines = Cli.Lines(result.Out);
        Assert.Matches(@"^APP ID\s+CLIENT ID\s+STATUS\s+TTL\s+SCOPES$", lines[0]);
        var row = Assert.Single(lines, l => l.StartsWith(appId + " ", StringComparison.Ordinal));
        Assert.Matches($@"^{Regex.Escape(appId)}\s+{clientId}\s+active\s+1800  read:data:\* write:data:x$", row);
        Assert.DoesNotContain(clientSecret, result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("tsr_sk_", result.Out, StringComparison.Ordinal);
        Assert.Equal("", result.Err);
    }

    [Fact]
    public async Task List_HasAppsAndTotalButNoClientSecret_WhenJsonFlag()
    {
        var (appId, clientId, clientSecret) = await CreateAppAsync();

        var result = await ListAsync(json: true);

        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        var apps = json["apps"]!.AsArray();
        Assert.Equal(apps.Count, json["total"]!.GetValue<int>());
        var app = Assert.Single(apps, a => a!["app_id"]!.GetValue<string>() == appId)!.AsObject();
        Assert.Equal(clientId, app["client_id"]!.GetValue<string>());
        Assert.Equal("active", app["status"]!.GetValue<string>());
        Assert.False(app.ContainsKey("client_secret"));
        Assert.All(apps, a => Assert.False(a!.AsObject().ContainsKey("client_secret")));
        Assert.DoesNotContain("client_secret", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(clientSecret, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_PrintsTheAppWithoutSecret_WhenHumanAndJson()
    {
        var (appId, clientId, clientSecret) = await CreateAppAsync(scopes: ["read:data:*"]);

        var human = await ShowAsync(appId);
        var json = await ShowAsync(appId, json: true);

        Assert.True(human.Code == 0, human.ToString());
        var fields = Fields(human.Out);
        Assert.Equal(["app_id", "name", "client_id", "scopes", "token_ttl", "status", "created_at", "updated_at", "previous_secret_valid_until"], fields.Keys);
        Assert.Equal(appId, fields["app_id"]);
        Assert.Equal(clientId, fields["client_id"]);
        Assert.Equal("read:data:*", fields["scopes"]);
        Assert.Equal("1800", fields["token_ttl"]);
        Assert.Equal("active", fields["status"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", fields["created_at"]);
        Assert.Equal("-", fields["previous_secret_valid_until"]);
        Assert.Equal("", human.Err);

        Assert.Equal(0, json.Code);
        var app = JsonNode.Parse(json.Out)!.AsObject();
        Assert.Equal(appId, app["app_id"]!.GetValue<string>());
        Assert.False(app.ContainsKey("client_secret"));
        Assert.DoesNotContain(clientSecret, human.Out + json.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_ReplacesCeilingAndTokenTtl_WhenScopeAndTokenTtlGiven()
    {
        var (appId, clientId, clientSecret) = await CreateAppAsync(scopes: ["read:data:*"]);

        var both = await UpdateAsync(appId, ["read:data:reports", "write:data:reports"], tokenTtl: 600);
        var ttlOnly = await UpdateAsync(appId, tokenTtl: 120, json: true);

        Assert.True(both.Code == 0, both.ToString());
        var fields = Fields(both.Out);
        Assert.Equal("read:data:reports write:data:reports", fields["scopes"]);
        Assert.Equal("600", fields["token_ttl"]);
        Assert.False(fields.ContainsKey("client_secret"));
        Assert.Equal("", both.Err);

        Assert.True(ttlOnly.Code == 0, ttlOnly.ToString());
        var json = JsonNode.Parse(ttlOnly.Out)!;
        Assert.Equal(120, json["token_ttl"]!.GetValue<int>());
        Assert.Equal(["read:data:reports", "write:data:reports"], json["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));

        // The new lifetime is what the app's next login gets.
        using var auth = await AppAuthAsync(clientId, clientSecret);
        Assert.Equal(120, (await auth.Content.ReadFromJsonAsync<JsonObject>())!["expires_in"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_ExitsTwoAndChangesNothing_WhenNothingOrABadTtlGiven()
    {
        var (appId, _, _) = await CreateAppAsync(scopes: ["read:data:*"]);

        var empty = await UpdateAsync(appId);
        var badTtl = await UpdateAsync(appId, ["write:data:*"], tokenTtl: 30);
        var shown = await ShowAsync(appId, json: true);

        Assert.Equal(2, empty.Code);
        Assert.Equal("error: broker answered 400 invalid_request: at least one of scopes or token_ttl must be provided", Cli.FirstLine(empty.Err));
        Assert.Equal("", empty.Out);
        Assert.Equal(2, badTtl.Code);
        Assert.Equal("error: broker answered 400 invalid_ttl: invalid token TTL: must be between 60 and 86400 seconds, got 30", Cli.FirstLine(badTtl.Err));
        var app = JsonNode.Parse(shown.Out)!;
        Assert.Equal(["read:data:*"], app["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(1800, app["token_ttl"]!.GetValue<int>());
    }

    [Fact]
    public async Task RotateSecret_OldSecretStopsAtOnce_WhenGraceIsZero()
    {
        var (appId, clientId, oldSecret) = await CreateAppAsync();

        var result = await RotateAsync(appId, grace: 0);

        Assert.True(result.Code == 0, result.ToString());
        var fields = Fields(result.Out);
        Assert.Equal(["app_id", "client_id", "client_secret", "previous_secret_valid_until"], fields.Keys);
        Assert.Equal(appId, fields["app_id"]);
        Assert.Equal(clientId, fields["client_id"]);
        string newSecret = ClientSecretLine().Match(result.Out).Groups[1].Value;
        Assert.NotEqual("", newSecret);
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal("-", fields["previous_secret_valid_until"]);
        Assert.Equal(ShownOnce, result.Err.Trim());

        using var withOld = await AppAuthAsync(clientId, oldSecret);
        using var withNew = await AppAuthAsync(clientId, newSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
    }

    [Fact]
    public async Task RotateSecret_OldSecretKeepsWorkingForTheDefaultGrace_WhenGraceIsOmitted()
    {
        var (appId, clientId, oldSecret) = await CreateAppAsync();

        var result = await RotateAsync(appId, json: true);

        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        string newSecret = json["client_secret"]!.GetValue<string>();
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", newSecret);
        Assert.NotEqual(oldSecret, newSecret);
        var until = DateTimeOffset.Parse(json["previous_secret_valid_until"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange(until - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(86400 - 60), TimeSpan.FromSeconds(86400 + 5));

        using var withOld = await AppAuthAsync(clientId, oldSecret);
        using var withNew = await AppAuthAsync(clientId, newSecret);
        Assert.Equal(HttpStatusCode.OK, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);

        // show reports the grace window, never a secret.
        var shown = await ShowAsync(appId, json: true);
        Assert.Equal(json["previous_secret_valid_until"]!.GetValue<string>(), JsonNode.Parse(shown.Out)!["previous_secret_valid_until"]!.GetValue<string>());
        Assert.DoesNotContain(newSecret, shown.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_MarksInactiveAndOldCredentialsAndTokenFail_WhenAppDeregistered()
    {
        var (appId, clientId, clientSecret) = await CreateAppAsync();
        using var login = await AppAuthAsync(clientId, clientSecret);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        string appToken = (await login.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        Assert.True(await AgentRegistration.IsValidAsync(Http, appToken));

        var result = await RemoveAsync(appId);
        var shown = await ShowAsync(appId, json: true);

        Assert.True(result.Code == 0, result.ToString());
        var fields = Fields(result.Out);
        Assert.Equal(["app_id", "status", "deregistered_at"], fields.Keys);
        Assert.Equal(appId, fields["app_id"]);
        Assert.Equal("inactive", fields["status"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", fields["deregistered_at"]);
        Assert.Equal("", result.Err);
        Assert.Equal("inactive", JsonNode.Parse(shown.Out)!["status"]!.GetValue<string>());

        using var again = await AppAuthAsync(clientId, clientSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        var problem = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unauthorized", problem["error_code"]!.GetValue<string>());
        Assert.Equal("Authentication failed", problem["detail"]!.GetValue<string>());
        Assert.False(await AgentRegistration.IsValidAsync(Http, appToken));
    }

    [Fact]
    public async Task Remove_PrintsStatusInactive_WhenJsonFlag()
    {
        var (appId, _, _) = await CreateAppAsync();

        var result = await RemoveAsync(appId, json: true);

        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        Assert.Equal(appId, json["app_id"]!.GetValue<string>());
        Assert.Equal("inactive", json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task RotateSecret_ExitsTwoWithConflict_WhenAppIsDeregistered()
    {
        var (appId, _, _) = await CreateAppAsync();
        Assert.Equal(0, (await RemoveAsync(appId)).Code);

        var result = await RotateAsync(appId, grace: 0);

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 409 conflict: app is deregistered", Cli.FirstLine(result.Err));
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Create_ExitsTwoWithConflict_WhenNameIsTaken()
    {
        string name = NewName();
        Assert.Equal(0, (await CreateAsync(name)).Code);

        var human = await CreateAsync(name);
        var json = await CreateAsync(name, json: true);

        Assert.Equal(2, human.Code);
        Assert.Equal($"error: broker answered 409 conflict: an app named '{name}' already exists", Cli.FirstLine(human.Err));
        Assert.Equal("", human.Out);
        Assert.Equal(2, json.Code);
        Assert.StartsWith("error: broker answered 409 conflict: ", json.Err, StringComparison.Ordinal);
        Assert.Equal("", json.Out);
    }

    [Theory]
    [InlineData("Upper-Case")]
    [InlineData("double--hyphen")]
    [InlineData("trailing-")]
    [InlineData("9starts-with-digit")]
    public async Task Create_ExitsTwoWithInvalidRequest_WhenNameBreaksTheRule(string name)
    {
        var result = await CreateAsync(name);

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 400 invalid_request: invalid app name: must be lowercase letters, digits, and hyphens", Cli.FirstLine(result.Err));
    }

    [Fact]
    public async Task Create_ExitsTwoWithInvalidScopeFormat_WhenScopeIsInAdminNamespace()
    {
        var result = await CreateAsync(NewName(), ["admin:revoke:*"]);

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 400 invalid_scope_format: scope 'admin:revoke:*' is in the admin: namespace, which is reserved for the broker's own admin tokens", Cli.FirstLine(result.Err));
    }

    public static TheoryData<string> IdVerbs => ["show", "update", "rotate-secret", "remove"];

    private Task<CliResult> RunIdVerbAsync(string verb, string id, string? secret = Secret) => verb switch
    {
        "show" => ShowAsync(id, secret: secret),
        "update" => UpdateAsync(id, tokenTtl: 600, secret: secret),
        "rotate-secret" => RotateAsync(id, grace: 0, secret: secret),
        "remove" => RemoveAsync(id, secret: secret),
        _ => throw new ArgumentOutOfRangeException(nameof(verb)),
    };

    [Theory]
    [MemberData(nameof(IdVerbs))]
    public async Task IdVerb_ExitsTwoWithNotFound_WhenAppIdIsUnknown(string verb)
    {
        var result = await RunIdVerbAsync(verb, "app-no-such-app-000000");

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 404 not_found: app not found", Cli.FirstLine(result.Err));
        Assert.Equal("", result.Out);
    }

    public static TheoryData<string> AllVerbs => ["create", "list", "show", "update", "rotate-secret", "remove"];

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public async Task AppsVerb_ExitsOne_WhenAdminSecretIsNotSet(string verb)
    {
        var result = verb switch
        {
            "create" => await CreateAsync(NewName(), secret: ""),
            "list" => await ListAsync(json: false, secret: ""),
            _ => await RunIdVerbAsync(verb, "app-whatever-000000", secret: ""),
        };

        Assert.Equal(1, result.Code);
        Assert.Equal("error: TESSERA_ADMIN_SECRET is not set; export the admin secret to use admin commands", result.Err.Trim());
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task AppsVerb_ExitsTwoWithoutEchoingIt_WhenAdminSecretIsWrong()
    {
        var result = await CreateAsync(NewName(), secret: "not-the-admin-secret-0000");

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 401 unauthorized: invalid credentials", Cli.FirstLine(result.Err));
        Assert.DoesNotContain("not-the-admin-secret-0000", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AppsParser_RequiresNameAndScope_WhenCreating()
    {
        var root = new RootCommand { AppsCommand.Create(TextWriter.Null, TextWriter.Null) };

        Assert.NotEmpty(root.Parse(["apps", "create", "--scope", "read:data:*"]).Errors);
        Assert.NotEmpty(root.Parse(["apps", "create", "--name", "x"]).Errors);
        Assert.NotEmpty(root.Parse(["apps", "update"]).Errors);
        Assert.NotEmpty(root.Parse(["apps", "rotate-secret", "app-x", "--grace", "soon"]).Errors);
        Assert.Empty(root.Parse(["apps", "create", "--name", "x", "--scope", "read:data:*", "write:data:*", "--token-ttl", "60", "--json"]).Errors);
        Assert.Empty(root.Parse(["apps", "update", "app-x", "--scope", "a:b", "c:d", "--token-ttl", "60"]).Errors);
        Assert.Empty(root.Parse(["apps", "rotate-secret", "app-x", "--grace", "0"]).Errors);
    }

    [Fact]
    public async Task AppsProcess_CreatesListsUpdatesRotatesAndRemoves_WhenRunAsTheRealExecutable()
    {
        string name = NewName();
        var env = Cli.AdminEnvironment();

        var created = await Cli.RunProcessAsync(env, "apps", "create", "--broker", Url, "--name", name, "--scope", "read:data:*", "write:data:x", "--token-ttl", "300", "--json");
        var duplicate = await Cli.RunProcessAsync(env, "apps", "create", "--broker", Url, "--name", name, "--scope", "read:data:*");
        var noSecret = await Cli.RunProcessAsync(Cli.AdminEnvironment(null), "apps", "list", "--broker", Url);

        Assert.True(created.Code == 0, created.ToString());
        var json = JsonNode.Parse(created.Out)!;
        string appId = json["app_id"]!.GetValue<string>();
        string clientId = json["client_id"]!.GetValue<string>();
        string oldSecret = json["client_secret"]!.GetValue<string>();
        Assert.Equal(300, json["token_ttl"]!.GetValue<int>());
        Assert.Equal(2, duplicate.Code);
        Assert.Contains($"error: broker answered 409 conflict: an app named '{name}' already exists", duplicate.Err, StringComparison.Ordinal);
        Assert.Equal(1, noSecret.Code);
        Assert.Contains("TESSERA_ADMIN_SECRET is not set", noSecret.Err, StringComparison.Ordinal);

        var lists = await Task.WhenAll(
            Cli.RunProcessAsync(env, "apps", "list", "--broker", Url),
            Cli.RunProcessAsync(env, "apps", "list", "--broker", Url, "--json"));

        Assert.True(lists[0].Code == 0, lists[0].ToString());
        Assert.StartsWith("APP ID", lists[0].Out, StringComparison.Ordinal);
        Assert.Matches($@"(?m)^{Regex.Escape(appId)}\s+{clientId}\s+active\s+300  read:data:\* write:data:x\s*$", lists[0].Out);
        Assert.True(lists[1].Code == 0, lists[1].ToString());
        Assert.Contains(JsonNode.Parse(lists[1].Out)!["apps"]!.AsArray(), a => a!["app_id"]!.GetValue<string>() == appId);
        Assert.DoesNotContain("client_secret", lists[1].Out, StringComparison.Ordinal);
        Assert.DoesNotContain(oldSecret, lists[0].Out + lists[1].Out, StringComparison.Ordinal);

        // The update and rotate-secret verbs turn their options into the request body.
        var updated = await Cli.RunProcessAsync(env, "apps", "update", appId, "--broker", Url, "--scope", "read:data:reports", "--token-ttl", "120", "--json");
        var rotated = await Cli.RunProcessAsync(env, "apps", "rotate-secret", appId, "--broker", Url, "--grace", "0");

        Assert.True(updated.Code == 0, updated.ToString());
        var app = JsonNode.Parse(updated.Out)!;
        Assert.Equal(["read:data:reports"], app["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(120, app["token_ttl"]!.GetValue<int>());
        Assert.True(rotated.Code == 0, rotated.ToString());
        string newSecret = ClientSecretLine().Match(rotated.Out).Groups[1].Value;
        Assert.NotEqual("", newSecret);
        Assert.Contains(ShownOnce, rotated.Err, StringComparison.Ordinal);
        using (var withOld = await AppAuthAsync(clientId, oldSecret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        }

        var removed = await Cli.RunProcessAsync(env, "apps", "remove", appId, "--broker", Url);
        var shown = await Cli.RunProcessAsync(env, "apps", "show", appId, "--broker", Url);

        Assert.True(removed.Code == 0, removed.ToString());
        Assert.Matches(@"(?m)^status:\s+inactive\s*$", removed.Out);
        Assert.Matches(@"(?m)^status:\s+inactive\s*$", shown.Out);
        Assert.DoesNotContain(newSecret, shown.Out, StringComparison.Ordinal);
        using var withNew = await AppAuthAsync(clientId, newSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, withNew.StatusCode);
    }
}
