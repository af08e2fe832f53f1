using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary><c>tessera revoke --level token|agent|task|chain --target X</c>.</summary>
internal static class RevokeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var broker = AdminCommand.BrokerOption();
        var json = AdminCommand.JsonOption();
        var level = new Option<string>("--level") { Description = "token (a jti), agent (an agent id, key id or agent name), task (a task id), chain (the root agent of delegations, same forms as agent) or app (an app id).", Required = true };
        level.AcceptOnlyFromAmong("token", "agent", "task", "chain", "app");
        var target = new Option<string>("--target") { Description = "What to revoke at that level.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Recorded in the audit trail and the feed." };
        var command = new Command("revoke", "Revoke tokens at one of five levels.") { broker, json, level, target, reason };
        command.SetAction((r, ct) => RunAsync(r.GetValue(broker)!, r.GetValue(level)!, r.GetValue(target)!, r.GetValue(reason), r.GetValue(json), output, error, ct));
        return command;
    }

    public static Task<int> RunAsync(string broker, string level, string target, string? reason, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            if (level is "agent" or "chain")
            {
                // The broker records any target at these levels; a name or a key id would match no token.
                target = await AgentTarget.ResolveForRevocationAsync(client, target, json ? error : output, error, cancellationToken);
            }

            var body = new JsonObject { ["level"] = level, ["target"] = target };
            if (reason is not null)
            {
                body["reason"] = reason;
            }

            var result = await client.SendAsync(HttpMethod.Post, "/v1/revoke", body, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
            }
            else
            {
                await output.WriteLineAsync(result!["count"]!.GetValue<int>() == 1
                    ? $"revoked {level} {target} (feed seq {result["sequence"]})"
                    : $"{level} {target} was already revoked (feed seq {result["sequence"]})");
            }

            return 0;
        }, adminSecret);
}
