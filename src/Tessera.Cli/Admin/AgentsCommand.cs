using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>
/// <c>tessera agents create|list|show|update|grant|revoke-grant|rotate-secret|suspend|unsuspend|revoke</c>:
/// agents with standing credentials (a key id and secret, or registered public keys) that exchange
/// them at <c>POST /v1/token</c> for tokens to the platforms they are granted on.
/// </summary>
internal static class AgentsCommand
{
    private const string IdDescription = "The agent's key_id (tsr_kid_...), agent_id (spiffe://...) or name.";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var agents = new Command("agents", "Agents with standing credentials, their grants on platforms, and their status.");

        var (b1, j1) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var name = new Argument<string>("name") { Description = "Lowercase letters, digits and single hyphens, starting with a letter, at most 64." };
        var (owner1, meta1, ttl1, jwks1) = (OwnerOption(), MetadataOption(), TtlOption(), JwksOption());
        var create = new Command("create", "Create an agent; prints its key id and secret once.") { b1, j1, name, owner1, meta1, ttl1, jwks1 };
        create.SetAction((r, ct) => CreateAsync(
            r.GetValue(b1)!, r.GetValue(name)!, new AgentDetails(r.GetValue(owner1), r.GetValue(meta1), false, r.GetValue(ttl1), r.GetValue(jwks1)), r.GetValue(j1), output, error, ct));
        agents.Subcommands.Add(create);

        var (b2, j2) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var kind = new Option<string?>("--kind") { Description = "registered (launch token) or credential (standing credentials)." };
        var status = new Option<string?>("--status") { Description = "active, suspended or revoked." };
        var search = new Option<string?>("--search") { Description = "Case-insensitive part of the name, agent id or key id." };
        var limit = new Option<int?>("--limit") { Description = "Agents per page, 1-500 (default 100)." };
        var cursor = new Option<string?>("--cursor") { Description = "The next_cursor of the previous page." };
        var list = new Command("list", "List every agent, registered or with standing credentials (no secrets).") { b2, j2, kind, status, search, limit, cursor };
        list.SetAction((r, ct) => ListAsync(
            r.GetValue(b2)!, new AgentListFilter(r.GetValue(kind), r.GetValue(status), r.GetValue(search), r.GetValue(limit), r.GetValue(cursor)), r.GetValue(j2), output, error, ct));
        agents.Subcommands.Add(list);

        var (b3, j3, id3) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var show = new Command("show", "Show one agent: status, grants, keys.") { b3, j3, id3 };
        show.SetAction((r, ct) => SendToAgentAsync(r.GetValue(b3)!, HttpMethod.Get, r.GetValue(id3)!, "", null, r.GetValue(j3), output, error, ct));
        agents.Subcommands.Add(show);

        var (b4, j4, id4) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var (owner4, meta4, ttl4, jwks4) = (OwnerOption(), MetadataOption(), TtlOption(), JwksOption());
        var clear = new Option<bool>("--clear-metadata") { Description = "Remove all metadata." };
        var update = new Command("update", "Change an agent's owner, metadata (replaced as a whole), token lifetime or public keys.") { b4, j4, id4, owner4, meta4, clear, ttl4, jwks4 };
        update.SetAction((r, ct) => UpdateAsync(
            r.GetValue(b4)!, r.GetValue(id4)!, new AgentDetails(r.GetValue(owner4), r.GetValue(meta4), r.GetValue(clear), r.GetValue(ttl4), r.GetValue(jwks4)), r.GetValue(j4), output, error, ct));
        agents.Subcommands.Add(update);

        var (b5, j5, id5) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var platform5 = PlatformArgument();
        var scope = new Option<string[]>("--scope") { Description = "Granted scope, within the platform's scopes (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var grant = new Command("grant", "Grant the agent scopes on a platform (replaces its grant there).") { b5, j5, id5, platform5, scope };
        grant.SetAction((r, ct) => GrantAsync(r.GetValue(b5)!, r.GetValue(id5)!, r.GetValue(platform5)!, r.GetValue(scope)!, r.GetValue(j5), output, error, ct));
        agents.Subcommands.Add(grant);

        var (b6, j6, id6) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var platform6 = PlatformArgument();
        var revokeGrant = new Command("revoke-grant", "Take away the agent's grant on a platform.") { b6, j6, id6, platform6 };
        revokeGrant.SetAction((r, ct) => SendToAgentAsync(
            r.GetValue(b6)!, HttpMethod.Delete, r.GetValue(id6)!, $"/grants/{Uri.EscapeDataString(r.GetValue(platform6)!)}", null, r.GetValue(j6), output, error, ct));
        agents.Subcommands.Add(revokeGrant);

        var (b7, j7, id7) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var grace = new Option<int?>("--grace") { Description = "Seconds the old secret keeps working (default: the broker's secret_rotation_grace; 0 = none)." };
        var rotate = new Command("rotate-secret", "Issue a new secret for the agent; prints it once.") { b7, j7, id7, grace };
        rotate.SetAction((r, ct) => RotateSecretAsync(r.GetValue(b7)!, r.GetValue(id7)!, r.GetValue(grace), r.GetValue(j7), output, error, ct));
        agents.Subcommands.Add(rotate);

        agents.Subcommands.Add(StatusCommand("suspend", "Suspend the agent: it gets no new tokens until unsuspended.", withReason: true, output, error));
        agents.Subcommands.Add(StatusCommand("unsuspend", "Let a suspended agent get tokens again (and reset its denial count).", withReason: false, output, error));
        agents.Subcommands.Add(StatusCommand("revoke", "Revoke the agent for good: no new tokens, and its outstanding tokens are revoked.", withReason: true, output, error));
        return agents;
    }

    public static Task<int> CreateAsync(string broker, string name, AgentDetails details, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var body = details.ToJson();
            body.Insert(0, "name", name);
            return await WriteAsync(await client.SendAsync(HttpMethod.Post, "/v1/admin/agents", body, cancellationToken), json, output, error);
        }, adminSecret);

    public static Task<int> UpdateAsync(string broker, string id, AgentDetails details, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var body = details.ToJson();
            string agentId = await AgentTarget.ResolveNameAsync(client, id, json ? error : output, cancellationToken);
            return await WriteAsync(await client.SendAsync(HttpMethod.Put, Path(agentId), body, cancellationToken), json, output, error);
        }, adminSecret);

    public static Task<int> ListAsync(string broker, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        ListAsync(broker, new AgentListFilter(), json, output, error, cancellationToken, adminSecret);

    /// <summary>One page of the agent inventory; the next page's command is said after the table.</summary>
    public static Task<int> ListAsync(string broker, AgentListFilter filter, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            ArgumentNullException.ThrowIfNull(filter);
            var result = await client.SendAsync(HttpMethod.Get, "/v1/admin/agents" + filter.ToQuery(), null, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            // A credential agent goes by its key id, a registered agent by its agent id.
            await output.WriteLineAsync($"{"KEY ID / AGENT ID",-40} {"NAME",-24} {"STATUS",-9} {"AUTH",-15} GRANTS");
            foreach (var a in result!["agents"]!.AsArray())
            {
                string grants = string.Join(',', (a!["grants"]?.AsArray() ?? []).Select(g => g!["platform_id"]!.GetValue<string>()));
                string id = a["key_id"]?.ToString() ?? TerminalText.Escape(a["agent_id"]?.ToString());
                string auth = a["token_endpoint_auth_method"]?.ToString() ?? "launch_token";
                await output.WriteLineAsync($"{id,-40} {TerminalText.Escape(a["name"]?.ToString()),-24} {a["status"],-9} {auth,-15} {(grants.Length == 0 ? "-" : grants)}");
            }

            if (result["next_cursor"]?.GetValue<string>() is { } next)
            {
                await output.WriteLineAsync($"more: tessera agents list --cursor {TerminalText.Escape(next)} (with the same filters)");
            }

            return 0;
        }, adminSecret);

    public static Task<int> GrantAsync(string broker, string id, string platformId, string[] scopes, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null)
    {
        var body = new JsonObject { ["platform_id"] = platformId, ["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]) };
        return SendToAgentAsync(broker, HttpMethod.Post, id, "/grants", body, json, output, error, cancellationToken, adminSecret);
    }

    public static Task<int> RotateSecretAsync(string broker, string id, int? graceSeconds, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null)
    {
        var body = new JsonObject();
        if (graceSeconds is { } g)
        {
            body["grace_seconds"] = g;
        }

        return SendToAgentAsync(broker, HttpMethod.Post, id, "/rotate-secret", body, json, output, error, cancellationToken, adminSecret);
    }

    /// <summary><c>suspend</c>, <c>unsuspend</c> or <c>revoke</c>, with an optional reason for the audit trail.</summary>
    public static Task<int> ChangeStatusAsync(string broker, string id, string action, string? reason, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null)
    {
        var body = reason is null ? null : new JsonObject { ["reason"] = reason };
        return SendToAgentAsync(broker, HttpMethod.Post, id, "/" + action, body, json, output, error, cancellationToken, adminSecret);
    }

    public static Task<int> SendAsync(string broker, HttpMethod method, string path, JsonObject? body, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client => await WriteAsync(await client.SendAsync(method, path, body, cancellationToken), json, output, error), adminSecret);

    /// <summary>
    /// Sends to <c>/v1/admin/agents/{agent}{suffix}</c>, where <paramref name="agent"/> is an agent id, a key id
    /// or a name (resolved first; the resolution is said on the output, or on the error stream with --json).
    /// </summary>
    public static Task<int> SendToAgentAsync(
        string broker, HttpMethod method, string agent, string suffix, JsonObject? body, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            string id = await AgentTarget.ResolveNameAsync(client, agent, json ? error : output, cancellationToken);
            return await WriteAsync(await client.SendAsync(method, Path(id) + suffix, body, cancellationToken), json, output, error);
        }, adminSecret);

    /// <summary>The admin path of an agent; an agent id is percent-encoded whole (it contains slashes).</summary>
    public static string Path(string id) => $"/v1/admin/agents/{Uri.EscapeDataString(id)}";

    private static async Task<int> WriteAsync(JsonNode? result, bool json, TextWriter output, TextWriter error)
    {
        if (json)
        {
            await AdminCommand.WriteJsonAsync(output, result);
            return 0;
        }

        await FieldWriter.WriteAsync(output, result!.AsObject());
        if (result["secret"] is JsonValue)
        {
            await error.WriteLineAsync("The secret is shown once; store it in your secret manager now.");
        }

        return 0;
    }

    private static Command StatusCommand(string action, string description, bool withReason, TextWriter output, TextWriter error)
    {
        var (broker, json, id) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption(), IdArgument());
        var command = new Command(action, description) { broker, json, id };
        var reason = new Option<string?>("--reason") { Description = "Recorded in the agent's status and the audit trail." };
        if (withReason)
        {
            command.Options.Add(reason);
        }

        command.SetAction((r, ct) => ChangeStatusAsync(r.GetValue(broker)!, r.GetValue(id)!, action, withReason ? r.GetValue(reason) : null, r.GetValue(json), output, error, ct));
        return command;
    }

    private static Argument<string> IdArgument() => new("agent") { Description = IdDescription };

    private static Argument<string> PlatformArgument() => new("platform-id") { Description = "The platform's id." };

    private static Option<string?> OwnerOption() => new("--owner") { Description = "Who answers for the agent (a team, a person)." };

    private static Option<string[]> MetadataOption() => new("--metadata") { Description = "key=value (repeat for several).", AllowMultipleArgumentsPerToken = true };

    private static Option<int?> TtlOption() => new("--token-ttl") { Description = "Lifetime of the agent's tokens, 60-86400 seconds (default: the broker's exchange_ttl)." };

    private static Option<string?> JwksOption() => new("--jwks-file")
    {
        Description = "JSON file with the agent's public keys ({\"keys\": [...]} or one JWK) for private_key_jwt; at creation, the agent then gets no secret.",
    };
}
