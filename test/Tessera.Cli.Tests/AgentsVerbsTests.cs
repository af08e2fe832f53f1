using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NSec.Cryptography;
using Tessera.Cli.Admin;

namespace Tessera.Cli.Tests;

/// <summary>
/// <c>tessera agents ...</c> and <c>tessera token</c> against a real broker over real HTTP: an
/// agent created, granted and exchanged through the CLI alone; its status changes as
/// <c>agents show --json</c> reports them and as the token endpoint enforces them; secrets shown
/// once and never echoed; error exits.
/// </summary>
public sealed class AgentsVerbsTests(CredentialsBrokerFixture fixture) : IClassFixture<CredentialsBrokerFixture>
{
    private const string Secret = CliBroker.AdminSecret;

    private const string ShownOnce = "The secret is shown once; store it in your secret manager now.";

    private static readonly CancellationToken None = CancellationToken.None;

    private string Url => fixture.Url;

    private static string NewName() => "agent-" + Guid.NewGuid().ToString("N")[..12];

    private Task<CliResult> Admin(Func<TextWriter, TextWriter, Task<int>> verb) => Cli.RunAsync(verb);

    private Task<CliResult> TokenAsync(string? resource, string keyId, string secret, bool json = false, params string[] scopes) =>
        Cli.RunAsync((o, e) => TokenCommand.RunAsync(Url, resource, scopes, keyId, secret, json, o, e, None));

    private Task<CliResult> ShowAsync(string id, bool json = true) =>
        Admin((o, e) => AgentsCommand.SendAsync(Url, HttpMethod.Get, AgentsCommand.Path(id), null, json, o, e, None, Secret));

    private async Task<string> CreatePlatformAsync(params string[] scopes)
    {
        string id = PlatformsVerbsTests.NewId();
        var result = await Admin((o, e) => PlatformsCommand.CreateAsync(Url, new PlatformFields(id, null, [id + ".example.com"], scopes.Length > 0 ? scopes : ["read:orders", "write:orders"]), true, o, e, None, Secret));
        Assert.True(result.Code == 0, result.ToString());
        return id;
    }

    /// <summary>An agent created with --json: agent id, key id, secret.</summary>
    private async Task<(string AgentId, string KeyId, string Secret)> CreateAgentAsync(AgentDetails? details = null)
    {
        var result = await Admin((o, e) => AgentsCommand.CreateAsync(Url, NewName(), details ?? new AgentDetails(), true, o, e, None, Secret));
        Assert.True(result.Code == 0, result.ToString());
        var json = JsonNode.Parse(result.Out)!;
        return (json["agent_id"]!.GetValue<string>(), json["key_id"]!.GetValue<string>(), json["secret"]?.GetValue<string>() ?? "");
    }

    private async Task GrantAsync(string id, string platformId, params string[] scopes)
    {
        var result = await Admin((o, e) => AgentsCommand.GrantAsync(Url, id, platformId, scopes, false, o, e, None, Secret));
        Assert.True(result.Code == 0, result.ToString());
    }

    private static string WriteFile(string text)
    {
        string path = Path.Combine(TesseraProcess.TempDirectory(), "file.json");
        File.WriteAllText(path, text);
        return path;
    }

    private static string PublicJwk(string kid)
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        string x = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $$"""{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "{{kid}}", "x": "{{x}}"}""";
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(s => s!.GetValue<string>())];

    [Fact]
    public async Task CredentialsProcess_CreatesGrantsExchangesSuspendsAndRevokes_WhenRunAsTheRealExecutable()
    {
        var env = Cli.AdminEnvironment();
        string platform = PlatformsVerbsTests.NewId();
        string name = NewName();

        var createdPlatform = await Cli.RunProcessAsync(env, "platforms", "create", platform, "--broker", Url, "--hostname", "shop.example.com", "--scope", "read:orders", "write:orders");
        var created = await Cli.RunProcessAsync(env, "agents", "create", name, "--broker", Url, "--owner", "team-payments", "--metadata", "env=prod", "ticket=OPS-1", "--json");

        Assert.True(createdPlatform.Code == 0, createdPlatform.ToString());
        Assert.True(created.Code == 0, created.ToString());
        var agent = JsonNode.Parse(created.Out)!;
        string agentId = agent["agent_id"]!.GetValue<string>();
        string keyId = agent["key_id"]!.GetValue<string>();
        string secret = agent["secret"]!.GetValue<string>();
        Assert.Matches($"^spiffe://tessera\\.test/agent/cred/{name}/[0-9a-f]{{16}}$", agentId);
        Assert.Equal("""{"env":"prod","ticket":"OPS-1"}""", agent["metadata"]!.ToJsonString());

        // Granted by agent id (percent-encoded in the path), exchanged with the key id and secret from the environment.
        var granted = await Cli.RunProcessAsync(env, "agents", "grant", agentId, platform, "--broker", Url, "--scope", "read:orders", "write:orders");
        var agentEnv = new Dictionary<string, string?> { ["TESSERA_AGENT_KEY_ID"] = keyId, ["TESSERA_AGENT_SECRET"] = secret, ["TESSERA_BROKER"] = Url };
        var token = await Cli.RunProcessAsync(agentEnv, "token", platform);
        var narrowed = await Cli.RunProcessWithInputAsync(new Dictionary<string, string?> { ["TESSERA_BROKER"] = Url }, secret + "\n", "token", "https://shop.example.com", "--scope", "read:orders", "--key-id", keyId, "--secret-stdin", "--json");

        Assert.True(granted.Code == 0, granted.ToString());
        Assert.Matches($@"(?m)^  {platform}\s+read:orders write:orders\s*$", granted.Out);
        Assert.True(token.Code == 0, token.ToString());
        string accessToken = token.Out.Trim();
        var claims = Cli.Claims(accessToken);
        Assert.Equal(agentId, claims["sub"]!.GetValue<string>());
        Assert.Equal(keyId, claims["client_id"]!.GetValue<string>());
        Assert.Contains(platform, claims["aud"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("Bearer token, expires in 900 s, scope: read:orders write:orders", token.Err.Trim());
        Assert.True(narrowed.Code == 0, narrowed.ToString());
        Assert.Equal("read:orders", JsonNode.Parse(narrowed.Out)!["scope"]!.GetValue<string>());
        Assert.DoesNotContain(secret, token.Out + token.Err + narrowed.Out + narrowed.Err, StringComparison.Ordinal);

        // Suspended: no token; show says so; unsuspended: tokens again.
        var suspended = await Cli.RunProcessAsync(env, "agents", "suspend", keyId, "--broker", Url, "--reason", "looping on 403s");
        var refused = await Cli.RunProcessAsync(agentEnv, "token", platform);
        var shownSuspended = await Cli.RunProcessAsync(env, "agents", "show", agentId, "--broker", Url, "--json");

        Assert.True(suspended.Code == 0, suspended.ToString());
        Assert.Matches(@"(?m)^status:\s+suspended\s*$", suspended.Out);
        Assert.Equal(2, refused.Code);
        Assert.Equal("error: broker answered 400 agent_suspended: agent is suspended: looping on 403s", Cli.FirstLine(refused.Err));
        Assert.Equal("", refused.Out.Trim());
        var view = JsonNode.Parse(shownSuspended.Out)!;
        Assert.Equal("suspended", view["status"]!.GetValue<string>());
        Assert.Equal("looping on 403s", view["status_reason"]!.GetValue<string>());

        var unsuspended = await Cli.RunProcessAsync(env, "agents", "unsuspend", agentId, "--broker", Url, "--json");
        var again = await Cli.RunProcessAsync(agentEnv, "token", platform, "--json");

        Assert.True(unsuspended.Code == 0, unsuspended.ToString());
        Assert.Equal("active", JsonNode.Parse(unsuspended.Out)!["status"]!.GetValue<string>());
        Assert.True(again.Code == 0, again.ToString());
        Assert.Equal("Bearer", JsonNode.Parse(again.Out)!["token_type"]!.GetValue<string>());

        // Revoked for good.
        var revoked = await Cli.RunProcessAsync(env, "agents", "revoke", keyId, "--broker", Url, "--reason", "decommissioned");
        var afterRevoke = await Cli.RunProcessAsync(agentEnv, "token", platform);
        var cannotUnsuspend = await Cli.RunProcessAsync(env, "agents", "unsuspend", keyId, "--broker", Url);
        var shownRevoked = await Cli.RunProcessAsync(env, "agents", "show", keyId, "--broker", Url, "--json");

        Assert.True(revoked.Code == 0, revoked.ToString());
        Assert.Equal(2, afterRevoke.Code);
        Assert.Equal("error: broker answered 400 agent_revoked: agent has been revoked", Cli.FirstLine(afterRevoke.Err));
        Assert.Equal(2, cannotUnsuspend.Code);
        Assert.Equal("error: broker answered 409 conflict: agent is revoked and cannot become active", Cli.FirstLine(cannotUnsuspend.Err));
        view = JsonNode.Parse(shownRevoked.Out)!;
        Assert.Equal("revoked", view["status"]!.GetValue<string>());
        Assert.Equal("decommissioned", view["status_reason"]!.GetValue<string>());
        Assert.DoesNotContain(secret, shownRevoked.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_PrintsIdsAndSecretOnceAndWarns_WhenHumanOutput()
    {
        string name = NewName();

        var result = await Admin((o, e) => AgentsCommand.CreateAsync(Url, name, new AgentDetails("team-a", ["k=v=w"], TokenTtl: 600), false, o, e, None, Secret));

        Assert.True(result.Code == 0, result.ToString());
        var fields = Cli.Fields(result.Out);
        Assert.Equal(["agent_id", "key_id", "secret", "name", "owner", "metadata", "status", "token_ttl", "token_endpoint_auth_method", "key_ids", "created_at"], fields.Keys);
        Assert.Matches($"^spiffe://tessera\\.test/agent/cred/{name}/[0-9a-f]{{16}}$", fields["agent_id"]);
        Assert.Matches("^tsr_kid_[0-9a-f]{32}$", fields["key_id"]);
        Assert.Matches("^tsr_sk_[A-Za-z0-9_-]{43}$", fields["secret"]);
        Assert.Equal("team-a", fields["owner"]);
        Assert.Equal("k=v=w", fields["metadata"]);
        Assert.Equal("600", fields["token_ttl"]);
        Assert.Equal("client_secret", fields["token_endpoint_auth_method"]);
        Assert.Equal("-", fields["key_ids"]);
        Assert.Single(Regex.Matches(result.Out, Regex.Escape(fields["secret"])));
        Assert.Equal(ShownOnce, result.Err.Trim());
        Assert.DoesNotContain(fields["secret"], result.Err, StringComparison.Ordinal);

        // And the secret never shows again.
        var shown = await ShowAsync(fields["key_id"], json: false);
        var list = await Admin((o, e) => AgentsCommand.ListAsync(Url, false, o, e, None, Secret));
        Assert.True(shown.Code == 0, shown.ToString());
        Assert.True(list.Code == 0, list.ToString());
        Assert.DoesNotContain(fields["secret"], shown.Out + list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("tsr_sk_", shown.Out + list.Out, StringComparison.Ordinal);
        Assert.Equal("", shown.Err + list.Err);
        Assert.Matches($@"(?m)^{fields["key_id"]}\s+{name}\s+active\s+client_secret\s+-\s*$", list.Out);
    }

    [Fact]
    public async Task Create_HasNoSecret_WhenJwksFileGiven()
    {
        string jwks = WriteFile($$"""{"keys": [{{PublicJwk("k1")}}, {{PublicJwk("k2")}}]}""");
        string single = WriteFile(PublicJwk("only"));

        var human = await Admin((o, e) => AgentsCommand.CreateAsync(Url, NewName(), new AgentDetails(JwksFile: jwks), false, o, e, None, Secret));
        var json = await Admin((o, e) => AgentsCommand.CreateAsync(Url, NewName(), new AgentDetails(JwksFile: single), true, o, e, None, Secret));

        Assert.True(human.Code == 0, human.ToString());
        var fields = Cli.Fields(human.Out);
        Assert.Equal("-", fields["secret"]);
        Assert.Equal("private_key_jwt", fields["token_endpoint_auth_method"]);
        Assert.Equal("k1 k2", fields["key_ids"]);
        Assert.Equal("", human.Err);
        Assert.True(json.Code == 0, json.ToString());
        var agent = JsonNode.Parse(json.Out)!;
        Assert.Null(agent["secret"]);
        Assert.Equal(["only"], Strings(agent["key_ids"]));

        // A key-only agent has no secret to rotate.
        var rotate = await Admin((o, e) => AgentsCommand.RotateSecretAsync(Url, agent["key_id"]!.GetValue<string>(), 0, false, o, e, None, Secret));
        Assert.Equal(2, rotate.Code);
        Assert.Equal("error: broker answered 409 conflict: agent authenticates with its registered keys only (private_key_jwt)", Cli.FirstLine(rotate.Err));
    }

    public static TheoryData<string, string?, string> BadLocalInput => new()
    {
        { "--metadata", "novalue", "--metadata takes key=value (got 'novalue')" },
        { "--metadata", "=v", "--metadata takes key=value (got '=v')" },
        { "--metadata", "k=1 k=2", "--metadata: key 'k' is given twice" },
        { "--jwks-file", null, "cannot read --jwks-file " },
        { "--jwks-file", "{not json", "--jwks-file {file}: not valid JSON" },
        { "--jwks-file", "[1, 2]", "--jwks-file {file}: expected a JWK Set ({\"keys\": [...]}) or one JWK" },
        { "--jwks-file", """{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "AAAA", "d": "c2VjcmV0LWtleS1tYXRlcmlhbA"}""", "--jwks-file {file} contains private key material; give the public key only" },
    };

    [Theory]
    [MemberData(nameof(BadLocalInput))]
    public async Task Create_ExitsOneAndCreatesNothing_WhenInputIsBadBeforeTheBroker(string option, string? content, string expected)
    {
        string name = NewName();
        string file = content is null ? Path.Combine(TesseraProcess.TempDirectory(), "missing.json") : WriteFile(content);
        var details = option == "--metadata" ? new AgentDetails(Metadata: content!.Split(' ')) : new AgentDetails(JwksFile: file);

        var result = await Admin((o, e) => AgentsCommand.CreateAsync(Url, name, details, false, o, e, None, Secret));
        var list = await Admin((o, e) => AgentsCommand.ListAsync(Url, true, o, e, None, Secret));

        Assert.Equal(1, result.Code);
        Assert.StartsWith("error: " + expected.Replace("{file}", file, StringComparison.Ordinal), result.Err, StringComparison.Ordinal);
        Assert.Single(Cli.Lines(result.Err));
        Assert.DoesNotContain("c2VjcmV0", result.Err, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
        Assert.DoesNotContain(JsonNode.Parse(list.Out)!["agents"]!.AsArray(), a => a!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Update_ChangesOwnerMetadataAndTtl_WhenGivenAndRefusesBadTtl()
    {
        var (agentId, keyId, _) = await CreateAgentAsync(new AgentDetails("first-owner", ["a=1", "b=2"]));

        var updated = await Admin((o, e) => AgentsCommand.UpdateAsync(Url, agentId, new AgentDetails("second-owner", ["c=3"], TokenTtl: 120), true, o, e, None, Secret));
        var cleared = await Admin((o, e) => AgentsCommand.UpdateAsync(Url, keyId, new AgentDetails(ClearMetadata: true), true, o, e, None, Secret));
        var badTtl = await Admin((o, e) => AgentsCommand.UpdateAsync(Url, keyId, new AgentDetails(TokenTtl: 5), false, o, e, None, Secret));
        var nothing = await Admin((o, e) => AgentsCommand.UpdateAsync(Url, keyId, new AgentDetails(), false, o, e, None, Secret));
        var both = await Admin((o, e) => AgentsCommand.UpdateAsync(Url, keyId, new AgentDetails(Metadata: ["x=y"], ClearMetadata: true), false, o, e, None, Secret));

        Assert.True(updated.Code == 0, updated.ToString());
        var agent = JsonNode.Parse(updated.Out)!;
        Assert.Equal("second-owner", agent["owner"]!.GetValue<string>());
        Assert.Equal("""{"c":"3"}""", agent["metadata"]!.ToJsonString());
        Assert.Equal(120, agent["token_ttl"]!.GetValue<int>());
        Assert.True(cleared.Code == 0, cleared.ToString());
        Assert.Equal("{}", JsonNode.Parse(cleared.Out)!["metadata"]!.ToJsonString());
        Assert.Equal("second-owner", JsonNode.Parse(cleared.Out)!["owner"]!.GetValue<string>());
        Assert.Equal(2, badTtl.Code);
        Assert.Equal("error: broker answered 400 invalid_ttl: invalid token TTL: must be between 60 and 86400 seconds (0 = the broker's exchange_ttl), got 5", Cli.FirstLine(badTtl.Err));
        Assert.Equal(2, nothing.Code);
        Assert.Equal("error: broker answered 400 invalid_request: at least one of owner, metadata, token_ttl or jwks must be provided", Cli.FirstLine(nothing.Err));
        Assert.Equal(1, both.Code);
        Assert.Equal("error: give --metadata or --clear-metadata, not both", both.Err.Trim());
    }

    [Fact]
    public async Task GrantAndRevokeGrant_ShapeWhatTheTokenEndpointIssues_WhenChanged()
    {
        string shop = await CreatePlatformAsync("read:orders", "write:orders");
        string other = await CreatePlatformAsync("read:stock");
        var (agentId, keyId, secret) = await CreateAgentAsync();

        var outside = await Admin((o, e) => AgentsCommand.GrantAsync(Url, keyId, shop, ["delete:orders"], false, o, e, None, Secret));
        var unknown = await Admin((o, e) => AgentsCommand.GrantAsync(Url, keyId, "no-such-platform", ["read:orders"], false, o, e, None, Secret));
        var noGrantYet = await TokenAsync(null, keyId, secret);
        await GrantAsync(keyId, shop, "read:orders");
        await GrantAsync(agentId, other, "read:stock");

        Assert.Equal(2, outside.Code);
        Assert.StartsWith($"error: broker answered 403 scope_violation: scope 'delete:orders' is not defined by platform '{shop}'", outside.Err, StringComparison.Ordinal);
        Assert.Equal(2, unknown.Code);
        Assert.Equal("error: broker answered 404 not_found: platform not found", Cli.FirstLine(unknown.Err));
        Assert.Equal(2, noGrantYet.Code);
        Assert.Equal("error: broker answered 400 invalid_target: the agent holds no grant on any platform", Cli.FirstLine(noGrantYet.Err));

        var shown = await ShowAsync(keyId, json: false);
        var ok = await TokenAsync(shop, keyId, secret, json: true);
        var notGranted = await TokenAsync(shop, keyId, secret, false, "write:orders");
        var ambiguous = await TokenAsync(null, keyId, secret);

        Assert.Equal("2", Cli.Fields(shown.Out)["grants"]);
        Assert.Matches($@"(?m)^  {shop}\s+read:orders\s*$", shown.Out);
        Assert.Matches($@"(?m)^  {other}\s+read:stock\s*$", shown.Out);
        Assert.True(ok.Code == 0, ok.ToString());
        Assert.Equal("read:orders", JsonNode.Parse(ok.Out)!["scope"]!.GetValue<string>());
        Assert.Equal(2, notGranted.Code);
        Assert.Equal($"error: broker answered 400 scope_not_granted: scope 'write:orders' is not granted to this agent on platform '{shop}'", Cli.FirstLine(notGranted.Err));
        Assert.Equal(2, ambiguous.Code);
        Assert.Equal("error: broker answered 400 invalid_target: resource is required: the agent is granted on several platforms", Cli.FirstLine(ambiguous.Err));

        var removed = await Admin((o, e) => AgentsCommand.SendAsync(Url, HttpMethod.Delete, $"{AgentsCommand.Path(agentId)}/grants/{shop}", null, true, o, e, None, Secret));
        var removedAgain = await Admin((o, e) => AgentsCommand.SendAsync(Url, HttpMethod.Delete, $"{AgentsCommand.Path(agentId)}/grants/{shop}", null, true, o, e, None, Secret));
        var onlyOther = await TokenAsync(null, keyId, secret, json: true);
        var revokedGrant = await TokenAsync(shop, keyId, secret);

        Assert.True(removed.Code == 0, removed.ToString());
        Assert.Equal([other], JsonNode.Parse(removed.Out)!["grants"]!.AsArray().Select(g => g!["platform_id"]!.GetValue<string>()));
        Assert.Equal(2, removedAgain.Code);
        Assert.Equal("error: broker answered 404 not_found: the agent holds no grant on that platform", Cli.FirstLine(removedAgain.Err));
        Assert.True(onlyOther.Code == 0, onlyOther.ToString());
        Assert.Equal("read:stock", JsonNode.Parse(onlyOther.Out)!["scope"]!.GetValue<string>());
        Assert.Equal(2, revokedGrant.Code);
        Assert.Equal($"error: broker answered 400 platform_not_granted: the agent holds no grant on platform '{shop}'", Cli.FirstLine(revokedGrant.Err));
    }

    [Fact]
    public async Task RotateSecret_OldSecretIsRefusedAtOnce_WhenGraceIsZero()
    {
        string shop = await CreatePlatformAsync();
        var (_, keyId, oldSecret) = await CreateAgentAsync();
        await GrantAsync(keyId, shop, "read:orders");

        var rotated = await Admin((o, e) => AgentsCommand.RotateSecretAsync(Url, keyId, 0, false, o, e, None, Secret));

        Assert.True(rotated.Code == 0, rotated.ToString());
        var fields = Cli.Fields(rotated.Out);
        Assert.Equal(["agent_id", "key_id", "secret", "previous_secret_valid_until"], fields.Keys);
        Assert.Equal(ShownOnce, rotated.Err.Trim());
        var withOld = await TokenAsync(shop, keyId, oldSecret);
        var withNew = await TokenAsync(shop, keyId, fields["secret"]);
        Assert.Equal(2, withOld.Code);
        Assert.Equal("error: broker answered 401 invalid_client: client authentication failed", Cli.FirstLine(withOld.Err));
        Assert.DoesNotContain(oldSecret, withOld.Err, StringComparison.Ordinal);
        Assert.True(withNew.Code == 0, withNew.ToString());
    }

    [Fact]
    public async Task StatusVerbs_AreIdempotentAndAcceptEitherId_WhenRepeated()
    {
        var (agentId, keyId, _) = await CreateAgentAsync();

        var first = await Admin((o, e) => AgentsCommand.ChangeStatusAsync(Url, agentId, "suspend", null, true, o, e, None, Secret));
        var second = await Admin((o, e) => AgentsCommand.ChangeStatusAsync(Url, keyId, "suspend", "again", true, o, e, None, Secret));
        var longReason = await Admin((o, e) => AgentsCommand.ChangeStatusAsync(Url, keyId, "revoke", new string('x', 300), false, o, e, None, Secret));

        Assert.True(first.Code == 0, first.ToString());
        Assert.Equal("suspended", JsonNode.Parse(first.Out)!["status"]!.GetValue<string>());
        Assert.Equal("suspended by an operator", JsonNode.Parse(first.Out)!["status_reason"]!.GetValue<string>());
        Assert.True(second.Code == 0, second.ToString());
        Assert.Equal("suspended by an operator", JsonNode.Parse(second.Out)!["status_reason"]!.GetValue<string>());
        Assert.Equal(2, longReason.Code);
        Assert.Equal("error: broker answered 400 invalid_request: reason must be at most 256 printable characters", Cli.FirstLine(longReason.Err));
        Assert.Equal("suspended", JsonNode.Parse((await ShowAsync(keyId)).Out)!["status"]!.GetValue<string>());
    }

    public static TheoryData<string> IdVerbs => ["show", "update", "grant", "revoke-grant", "rotate-secret", "suspend", "unsuspend", "revoke"];

    [Theory]
    [MemberData(nameof(IdVerbs))]
    public async Task IdVerb_ExitsTwoWithNotFound_WhenAgentIsUnknown(string verb)
    {
        const string id = "spiffe://tessera.test/agent/cred/nobody/0000000000000000";

        var result = await Admin((o, e) => verb switch
        {
            "show" => AgentsCommand.SendAsync(Url, HttpMethod.Get, AgentsCommand.Path(id), null, false, o, e, None, Secret),
            "update" => AgentsCommand.UpdateAsync(Url, id, new AgentDetails(Owner: "x"), false, o, e, None, Secret),
            "grant" => AgentsCommand.GrantAsync(Url, id, "any", ["read:x"], false, o, e, None, Secret),
            "revoke-grant" => AgentsCommand.SendAsync(Url, HttpMethod.Delete, AgentsCommand.Path(id) + "/grants/any", null, false, o, e, None, Secret),
            "rotate-secret" => AgentsCommand.RotateSecretAsync(Url, id, null, false, o, e, None, Secret),
            _ => AgentsCommand.ChangeStatusAsync(Url, id, verb, null, false, o, e, None, Secret),
        });

        Assert.Equal(2, result.Code);
        Assert.Equal("error: broker answered 404 not_found: agent not found", Cli.FirstLine(result.Err));
        Assert.Equal("", result.Out);

        // What the broker advises, and which broker it was, follow the error line.
        string[] lines = result.Err.Trim().Split('\n');
        Assert.Equal("  hint: use the agent's key_id, or its agent_id percent-encoded", lines[1].TrimEnd('\r'));
        Assert.Equal($"  broker: {new Uri(Url)}", lines[2].TrimEnd('\r'));
    }

    [Fact]
    public async Task Token_ExitsOneTwoOrThree_WhenCredentialsMissingWrongOrBrokerUnreachable()
    {
        string unreachable = $"http://127.0.0.1:{TesseraProcess.FreePort()}";

        var noKey = await Cli.RunAsync((o, e) => TokenCommand.RunAsync(Url, "x", [], null, "s", false, o, e, None));
        var noSecret = await Cli.RunAsync((o, e) => TokenCommand.RunAsync(Url, "x", [], "tsr_kid_x", "", false, o, e, None));
        var wrong = await TokenAsync("x", "tsr_kid_" + new string('0', 32), "tsr_sk_not-the-secret");
        var down = await Cli.RunAsync((o, e) => TokenCommand.RunAsync(unreachable, "x", [], "tsr_kid_x", "s", false, o, e, None));

        Assert.Equal(1, noKey.Code);
        Assert.Equal("error: no agent key id: set TESSERA_AGENT_KEY_ID or pass --key-id", noKey.Err.Trim());
        Assert.Equal(1, noSecret.Code);
        Assert.Equal("error: no agent secret: set TESSERA_AGENT_SECRET or pipe it into --secret-stdin", noSecret.Err.Trim());
        Assert.Equal(2, wrong.Code);
        Assert.Equal("error: broker answered 401 invalid_client: client authentication failed", Cli.FirstLine(wrong.Err));
        Assert.DoesNotContain("tsr_sk_not-the-secret", wrong.Err + wrong.Out, StringComparison.Ordinal);
        Assert.Equal(3, down.Code);
        Assert.StartsWith($"error: cannot reach the broker at {unreachable}/", down.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ExitsTwoWithRetryAfter_WhenTheAgentIsRateLimited()
    {
        await using var broker = await CliBroker.StartAsync(new Dictionary<string, string?> { ["agent_rate"] = "1", ["agent_burst"] = "1" });
        string url = broker.Url;
        string platform = PlatformsVerbsTests.NewId();
        Assert.Equal(0, (await Admin((o, e) => PlatformsCommand.CreateAsync(url, new PlatformFields(platform, null, ["a.example"], ["read:x"]), true, o, e, None, Secret))).Code);
        var created = await Admin((o, e) => AgentsCommand.CreateAsync(url, NewName(), new AgentDetails(), true, o, e, None, Secret));
        var agent = JsonNode.Parse(created.Out)!;
        string keyId = agent["key_id"]!.GetValue<string>();
        string secret = agent["secret"]!.GetValue<string>();
        Assert.Equal(0, (await Admin((o, e) => AgentsCommand.GrantAsync(url, keyId, platform, ["read:x"], false, o, e, None, Secret))).Code);

        var first = await Cli.RunAsync((o, e) => TokenCommand.RunAsync(url, platform, [], keyId, secret, false, o, e, None));
        var second = await Cli.RunAsync((o, e) => TokenCommand.RunAsync(url, platform, [], keyId, secret, false, o, e, None));

        Assert.True(first.Code == 0, first.ToString());
        Assert.Equal(2, second.Code);
        Assert.Matches(@"^error: broker answered 429 rate_limited_agent: too many token requests for this agent \(retry after \d+ s\)$", Cli.FirstLine(second.Err));
    }

    [Fact]
    public void AgentsParser_RequiresIdsAndGrantScope_WhenParsing()
    {
        var root = new RootCommand { AgentsCommand.Create(TextWriter.Null, TextWriter.Null), TokenCommand.Create(TextWriter.Null, TextWriter.Null, TextReader.Null) };

        Assert.NotEmpty(root.Parse(["agents", "create"]).Errors);
        Assert.NotEmpty(root.Parse(["agents", "grant", "tsr_kid_x", "shop"]).Errors);
        Assert.NotEmpty(root.Parse(["agents", "grant", "tsr_kid_x", "--scope", "read:x"]).Errors);
        Assert.NotEmpty(root.Parse(["agents", "unsuspend", "tsr_kid_x", "--reason", "why"]).Errors);
        Assert.NotEmpty(root.Parse(["agents", "create", "a", "--token-ttl", "soon"]).Errors);
        Assert.NotEmpty(root.Parse(["token", "--secret", "tsr_sk_x"]).Errors);
        Assert.Empty(root.Parse(["agents", "create", "a", "--owner", "o", "--metadata", "a=1", "b=2", "--token-ttl", "60", "--jwks-file", "k.json", "--json"]).Errors);
        Assert.Empty(root.Parse(["agents", "grant", "tsr_kid_x", "shop", "--scope", "read:x", "--scope", "write:x"]).Errors);
        Assert.Empty(root.Parse(["agents", "revoke", "spiffe://t/agent/cred/a/00", "--reason", "r"]).Errors);
        Assert.Empty(root.Parse(["agents", "update", "tsr_kid_x", "--clear-metadata"]).Errors);
        Assert.Empty(root.Parse(["token"]).Errors);
        Assert.Empty(root.Parse(["token", "shop", "--scope", "read:x", "--key-id", "tsr_kid_x", "--secret-stdin", "--json"]).Errors);
    }

    [Fact]
    public async Task Help_ListsTheNewVerbs_WhenAskedAtEachLevel()
    {
        var runs = await Task.WhenAll(
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "--help"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "platforms", "--help"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "agents", "--help"),
            Cli.RunProcessAsync(Cli.AdminEnvironment(null), "token", "--help"));

        Assert.All(runs, r => Assert.True(r.Code == 0, r.ToString()));
        Assert.All(["platforms", "agents", "token", "apps", "keys"], verb => Assert.Matches($@"(?m)^\s+{verb}\s", runs[0].Out));
        Assert.All(["create", "list", "show", "update", "remove", "rotate-secret", "scopes-file"], verb => Assert.Matches($@"(?m)^\s+{verb}\s", runs[1].Out));
        Assert.All(["create", "list", "show", "update", "grant", "revoke-grant", "rotate-secret", "suspend", "unsuspend", "revoke"], verb => Assert.Matches($@"(?m)^\s+{verb}\s", runs[2].Out));
        Assert.All(["<resource>", "--scope", "--key-id", "--secret-stdin", "--broker", "--json"], option => Assert.Contains(option, runs[3].Out, StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_ShowsExactlyTheMatchingAgents_WhenKindStatusSearchAndLimitGiven()
    {
        string common = "inv-" + Guid.NewGuid().ToString("N")[..8];
        var first = await Admin((o, e) => AgentsCommand.CreateAsync(Url, common + "-a", new AgentDetails(), true, o, e, None, Secret));
        var second = await Admin((o, e) => AgentsCommand.CreateAsync(Url, common + "-b", new AgentDetails(), true, o, e, None, Secret));
        string keyA = JsonNode.Parse(first.Out)!["key_id"]!.GetValue<string>();
        string keyB = JsonNode.Parse(second.Out)!["key_id"]!.GetValue<string>();
        Assert.Equal(0, (await Admin((o, e) => AgentsCommand.ChangeStatusAsync(Url, keyB, "suspend", null, true, o, e, None, Secret))).Code);

        var suspended = await Admin((o, e) => AgentsCommand.ListAsync(Url, new AgentListFilter("credential", "suspended", common.ToUpperInvariant()), false, o, e, None, Secret));
        var paged = await Admin((o, e) => AgentsCommand.ListAsync(Url, new AgentListFilter(Search: common, Limit: 1), true, o, e, None, Secret));
        string cursor = JsonNode.Parse(paged.Out)!["next_cursor"]!.GetValue<string>();
        var rest = await Admin((o, e) => AgentsCommand.ListAsync(Url, new AgentListFilter(Search: common, Limit: 1, Cursor: cursor), true, o, e, None, Secret));
        var registered = await Admin((o, e) => AgentsCommand.ListAsync(Url, new AgentListFilter("registered", Search: common), true, o, e, None, Secret));
        var bad = await Admin((o, e) => AgentsCommand.ListAsync(Url, new AgentListFilter("robot"), false, o, e, None, Secret));

        Assert.True(suspended.Code == 0, suspended.ToString());
        Assert.Matches($@"(?m)^{keyB}\s+{common}-b\s+suspended\s+client_secret\s+-\s*$", suspended.Out);
        Assert.DoesNotContain(keyA, suspended.Out, StringComparison.Ordinal);
        Assert.Equal(keyA, Assert.Single(JsonNode.Parse(paged.Out)!["agents"]!.AsArray())!["key_id"]!.GetValue<string>());
        Assert.Equal(keyB, Assert.Single(JsonNode.Parse(rest.Out)!["agents"]!.AsArray())!["key_id"]!.GetValue<string>());
        Assert.Null(JsonNode.Parse(rest.Out)!["next_cursor"]);
        Assert.Empty(JsonNode.Parse(registered.Out)!["agents"]!.AsArray());
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("invalid kind", bad.Err, StringComparison.Ordinal);
    }
}
