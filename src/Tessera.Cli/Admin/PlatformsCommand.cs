using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary><c>tessera platforms create|list|show|update|remove|rotate-secret|scopes-file</c>.</summary>
internal static class PlatformsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var platforms = new Command("platforms", "Platforms: the APIs agents call, with the scopes they define and the scope each route requires.");

        var (b1, j1) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var id1 = IdArgument();
        var name1 = new Option<string?>("--name") { Description = "Display name (default: the platform id)." };
        var host1 = new Option<string[]>("--hostname") { Description = "Host name agents reach the platform at (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var scope1 = new Option<string[]>("--scope") { Description = "Scope the platform defines; grants on it stay within these (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var (routes1, profile1) = (RoutesOption(), ProfileOption());
        var create = new Command("create", "Register a platform; prints its own client secret (for enforcement reports and its scopes file) once.") { b1, j1, id1, name1, host1, scope1, routes1, profile1 };
        create.SetAction((r, ct) => CreateAsync(
            r.GetValue(b1)!, new PlatformFields(r.GetValue(id1)!, r.GetValue(name1), r.GetValue(host1), r.GetValue(scope1), r.GetValue(routes1), r.GetValue(profile1)),
            r.GetValue(j1), output, error, ct));
        platforms.Subcommands.Add(create);

        var (b2, j2) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var list = new Command("list", "List platforms (no secrets).") { b2, j2 };
        list.SetAction((r, ct) => ListAsync(r.GetValue(b2)!, r.GetValue(j2), output, error, ct));
        platforms.Subcommands.Add(list);

        var (b3, j3, id3) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var show = new Command("show", "Show one platform, with the issuer and JWKS URL its verifier must be configured with.") { b3, j3, id3 };
        show.SetAction((r, ct) => ShowAsync(r.GetValue(b3)!, r.GetValue(id3)!, r.GetValue(j3), output, error, ct));
        platforms.Subcommands.Add(show);

        var (b4, j4, id4) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var name4 = new Option<string?>("--name") { Description = "New display name." };
        var host4 = new Option<string[]>("--hostname") { Description = "New host names (replace the old ones).", AllowMultipleArgumentsPerToken = true };
        var scope4 = new Option<string[]>("--scope") { Description = "New scopes (replace the old ones; routes and grants must stay within them).", AllowMultipleArgumentsPerToken = true };
        var (routes4, profile4) = (RoutesOption(), ProfileOption());
        var update = new Command("update", "Change a platform; its version goes up by one.") { b4, j4, id4, name4, host4, scope4, routes4, profile4 };
        update.SetAction((r, ct) => UpdateAsync(
            r.GetValue(b4)!, new PlatformFields(r.GetValue(id4)!, r.GetValue(name4), r.GetValue(host4), r.GetValue(scope4), r.GetValue(routes4), r.GetValue(profile4)),
            r.GetValue(j4), output, error, ct));
        platforms.Subcommands.Add(update);

        var (b5, j5, id5) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var remove = new Command("remove", "Remove a platform and every grant on it; its credentials stop working.") { b5, j5, id5 };
        remove.SetAction((r, ct) => SendAsync(r.GetValue(b5)!, HttpMethod.Delete, Path(r.GetValue(id5)!), null, r.GetValue(j5), output, error, ct));
        platforms.Subcommands.Add(remove);

        var (b6, j6, id6) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var grace = new Option<int?>("--grace") { Description = "Seconds the old secret keeps working (default: the broker's secret_rotation_grace; 0 = none)." };
        var rotate = new Command("rotate-secret", "Issue a new client secret for the platform; prints it once.") { b6, j6, id6, grace };
        rotate.SetAction((r, ct) => RotateSecretAsync(r.GetValue(b6)!, r.GetValue(id6)!, r.GetValue(grace), r.GetValue(j6), output, error, ct));
        platforms.Subcommands.Add(rotate);

        var (b7, id7) = (AdminCommand.BrokerOption(), IdArgument());
        var file = new Option<string?>("--output", "-o") { Description = "Write the file here instead of standard output." };
        var scopesFile = new Command("scopes-file", "Print the platform's route-scopes file (YAML) for its verifier.") { b7, id7, file };
        scopesFile.SetAction((r, ct) => ScopesFileAsync(r.GetValue(b7)!, r.GetValue(id7)!, r.GetValue(file), output, error, ct));
        platforms.Subcommands.Add(scopesFile);
        return platforms;
    }

    public static Task<int> CreateAsync(string broker, PlatformFields fields, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var body = fields.ToJson();
            body.Insert(0, "platform_id", fields.PlatformId);
            var result = await client.SendAsync(HttpMethod.Post, "/v1/admin/platforms", body, cancellationToken);
            return await WriteAsync(result, json, output, error);
        }, adminSecret);

    public static Task<int> UpdateAsync(string broker, PlatformFields fields, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var result = await client.SendAsync(HttpMethod.Put, Path(fields.PlatformId), fields.ToJson(), cancellationToken);
            return await WriteAsync(result, json, output, error);
        }, adminSecret);

    public static Task<int> ListAsync(string broker, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var result = await client.SendAsync(HttpMethod.Get, "/v1/admin/platforms", null, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            await output.WriteLineAsync($"{"PLATFORM ID",-24} {"VER",4} {"PROFILE",-8} {"CLIENT ID",-40} {"HOSTNAMES",-32} SCOPES");
            foreach (var p in result!["platforms"]!.AsArray())
            {
                await output.WriteLineAsync(
                    $"{p!["platform_id"],-24} {p["version"],4} {p["token_profile"],-8} {p["client_id"],-40} {string.Join(',', p["hostnames"]!.AsArray()),-32} {FieldWriter.Text(p["scopes"])}");
            }

            return 0;
        }, adminSecret);

    /// <summary>The platform, then what its verifier needs: the broker's issuer and JWKS URL (from its metadata document), the audience and the signing algorithm.</summary>
    public static Task<int> ShowAsync(string broker, string platformId, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var platform = (await client.SendAsync(HttpMethod.Get, Path(platformId), null, cancellationToken))!.AsObject();
            using var metadataRequest = new HttpRequestMessage(HttpMethod.Get, "/.well-known/tessera-configuration");
            var metadata = await client.SendWithoutAdminTokenAsync(metadataRequest, cancellationToken);
            var verifier = new JsonObject
            {
                ["issuer"] = metadata?["issuer"]?.DeepClone(),
                ["jwks_uri"] = metadata?["jwks_uri"]?.DeepClone(),
                ["audience"] = platform["platform_id"]?.DeepClone(),
                ["algorithm"] = Algorithm(platform, metadata),
            };
            if (json)
            {
                platform["verifier"] = verifier;
                await AdminCommand.WriteJsonAsync(output, platform);
                return 0;
            }

            await FieldWriter.WriteAsync(output, platform);
            await output.WriteLineAsync();
            await output.WriteLineAsync("The platform's verifier checks tokens against:");
            await FieldWriter.WriteAsync(output, verifier);
            return 0;
        }, adminSecret);

    public static Task<int> RotateSecretAsync(string broker, string platformId, int? graceSeconds, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null)
    {
        var body = new JsonObject();
        if (graceSeconds is { } g)
        {
            body["grace_seconds"] = g;
        }

        return SendAsync(broker, HttpMethod.Post, Path(platformId) + "/rotate-secret", body, json, output, error, cancellationToken, adminSecret);
    }

    public static Task<int> ScopesFileAsync(string broker, string platformId, string? file, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            using var response = await client.SendRawAsync(HttpMethod.Get, $"/v1/platforms/{Uri.EscapeDataString(platformId)}/scopes-file", null, cancellationToken);
            string yaml = await response.Content.ReadAsStringAsync(cancellationToken);
            if (file is null)
            {
                await output.WriteAsync(yaml);
                return 0;
            }

            string temp = file + ".partial";
            await File.WriteAllTextAsync(temp, yaml, cancellationToken);
            File.Move(temp, file, overwrite: true);
            await error.WriteLineAsync($"wrote the scopes file of {platformId} to {file}");
            return 0;
        }, adminSecret);

    public static Task<int> SendAsync(string broker, HttpMethod method, string path, JsonObject? body, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client => await WriteAsync(await client.SendAsync(method, path, body, cancellationToken), json, output, error), adminSecret);

    public static string Path(string platformId) => $"/v1/admin/platforms/{Uri.EscapeDataString(platformId)}";

    private static async Task<int> WriteAsync(JsonNode? result, bool json, TextWriter output, TextWriter error)
    {
        if (json)
        {
            await AdminCommand.WriteJsonAsync(output, result);
            return 0;
        }

        await FieldWriter.WriteAsync(output, result!.AsObject());
        if (result["client_secret"] is not null)
        {
            await error.WriteLineAsync("The client secret is shown once; store it in your secret manager now.");
        }

        return 0;
    }

    /// <summary>
    /// Tokens of the mudraid profile are RS256 (a profile key published beside the broker's own);
    /// the others use the broker's signing algorithm, the first the metadata lists.
    /// </summary>
    private static string? Algorithm(JsonObject platform, JsonNode? metadata) =>
        platform["token_profile"]?.GetValue<string>() == "mudraid" ? "RS256"
            : metadata?["token_signing_alg_values_supported"] is JsonArray { Count: > 0 } algs ? algs[0]?.GetValue<string>() : null;

    private static Argument<string> IdArgument() => new("platform-id") { Description = "Lowercase letters, digits and single hyphens, starting with a letter, at most 64." };

    private static Option<string?> RoutesOption() => new("--routes-file")
    {
        Description = "Route rules: YAML in the scopes-file format, or JSON with a routes array (replaces the old rules).",
    };

    private static Option<string?> ProfileOption()
    {
        var option = new Option<string?>("--token-profile") { Description = "Claims layout of the platform's tokens: tessera (default) or mudraid." };
        option.AcceptOnlyFromAmong("tessera", "mudraid");
        return option;
    }
}
