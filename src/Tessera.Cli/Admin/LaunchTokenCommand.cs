using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary><c>tessera launch-token create</c>.</summary>
internal static class LaunchTokenCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var broker = AdminCommand.BrokerOption();
        var json = AdminCommand.JsonOption();
        var name = new Option<string>("--agent-name") { Description = "Name of the agent the token is for.", Required = true };
        var scope = new Option<string[]>("--scope") { Description = "Allowed scope (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var audience = new Option<string[]>("--audience") { Description = "Allowed audience (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var maxTtl = new Option<int?>("--max-ttl") { Description = "Longest token lifetime, seconds (default: the broker's default_ttl)." };
        var ttl = new Option<int?>("--ttl") { Description = "How long the launch token itself lives, seconds (default 30)." };
        var multiUse = new Option<bool>("--multi-use") { Description = "Allow several registrations with this launch token." };
        var create = new Command("create", "Create a launch token.") { broker, json, name, scope, audience, maxTtl, ttl, multiUse };
        create.SetAction((r, ct) => RunAsync(
            r.GetValue(broker)!, r.GetValue(name)!, r.GetValue(scope)!, r.GetValue(audience) ?? [], r.GetValue(maxTtl), r.GetValue(ttl), r.GetValue(multiUse), r.GetValue(json), output, error, ct));
        return new Command("launch-token", "Launch tokens for agent registration.") { create };
    }

    public static Task<int> RunAsync(
        string broker, string agentName, string[] scope, string[] audience, int? maxTtl, int? ttl, bool multiUse, bool json,
        TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var body = new JsonObject
            {
                ["agent_name"] = agentName,
                ["allowed_scope"] = new JsonArray([.. scope.Select(s => JsonValue.Create(s))]),
                ["single_use"] = !multiUse,
            };
            if (audience.Length > 0)
            {
                body["allowed_audience"] = new JsonArray([.. audience.Select(a => JsonValue.Create(a))]);
            }

            if (maxTtl is not null)
            {
                body["max_ttl"] = maxTtl;
            }

            if (ttl is not null)
            {
                body["ttl"] = ttl;
            }

            var result = await client.SendAsync(HttpMethod.Post, "/v1/admin/launch-tokens", body, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            await output.WriteLineAsync($"launch token: {result!["launch_token"]}");
            await output.WriteLineAsync($"expires at:   {result["expires_at"]}");
            await output.WriteLineAsync($"scope:        {string.Join(' ', result["policy"]!["allowed_scope"]!.AsArray().Select(s => s!.GetValue<string>()))}");
            await output.WriteLineAsync($"max ttl:      {result["policy"]!["max_ttl"]} s, single use: {result["single_use"]}");
            return 0;
        }, adminSecret);
}
