using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary><c>tessera apps create|list|show|update|rotate-secret|remove</c>.</summary>
internal static class AppsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var apps = new Command("apps", "Apps: long-lived identities of orchestrating services, with a launch-token scope ceiling.");

        var (b1, j1) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var name = new Option<string>("--name") { Description = "Lowercase letters, digits and single hyphens, at most 64.", Required = true };
        var scope = new Option<string[]>("--scope") { Description = "Ceiling scope (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = true };
        var ttl = new Option<int?>("--token-ttl") { Description = "App token lifetime, 60-86400 seconds (default 1800)." };
        var create = new Command("create", "Register an app; prints its client secret once.") { b1, j1, name, scope, ttl };
        create.SetAction((r, ct) => CreateAsync(r.GetValue(b1)!, r.GetValue(name)!, r.GetValue(scope)!, r.GetValue(ttl), r.GetValue(j1), output, error, ct));
        apps.Subcommands.Add(create);

        var (b2, j2) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var list = new Command("list", "List apps (no secrets).") { b2, j2 };
        list.SetAction((r, ct) => ListAsync(r.GetValue(b2)!, r.GetValue(j2), output, error, ct));
        apps.Subcommands.Add(list);

        var (b3, j3) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var id3 = new Argument<string>("app-id");
        var show = new Command("show", "Show one app.") { b3, j3, id3 };
        show.SetAction((r, ct) => SendAsync(r.GetValue(b3)!, HttpMethod.Get, $"/v1/admin/apps/{Uri.EscapeDataString(r.GetValue(id3)!)}", null, r.GetValue(j3), output, error, ct));
        apps.Subcommands.Add(show);

        var (b4, j4) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var id4 = new Argument<string>("app-id");
        var scope4 = new Option<string[]>("--scope") { Description = "New ceiling (replaces the old one).", AllowMultipleArgumentsPerToken = true };
        var ttl4 = new Option<int?>("--token-ttl") { Description = "New app token lifetime." };
        var update = new Command("update", "Change an app's ceiling and/or token lifetime.") { b4, j4, id4, scope4, ttl4 };
        update.SetAction((r, ct) =>
        {
            var body = new JsonObject();
            if (r.GetValue(scope4) is { Length: > 0 } s)
            {
                body["scopes"] = new JsonArray([.. s.Select(x => JsonValue.Create(x))]);
            }

            if (r.GetValue(ttl4) is { } t)
            {
                body["token_ttl"] = t;
            }

            return SendAsync(r.GetValue(b4)!, HttpMethod.Put, $"/v1/admin/apps/{Uri.EscapeDataString(r.GetValue(id4)!)}", body, r.GetValue(j4), output, error, ct);
        });
        apps.Subcommands.Add(update);

        var (b5, j5) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var id5 = new Argument<string>("app-id");
        var grace = new Option<int?>("--grace") { Description = "Seconds the old secret keeps working (default: the broker's secret_rotation_grace; 0 = none)." };
        var rotate = new Command("rotate-secret", "Issue a new client secret; prints it once.") { b5, j5, id5, grace };
        rotate.SetAction((r, ct) =>
        {
            var body = new JsonObject();
            if (r.GetValue(grace) is { } g)
            {
                body["grace_seconds"] = g;
            }

            return SendAsync(r.GetValue(b5)!, HttpMethod.Post, $"/v1/admin/apps/{Uri.EscapeDataString(r.GetValue(id5)!)}/rotate-secret", body, r.GetValue(j5), output, error, ct);
        });
        apps.Subcommands.Add(rotate);

        var (b6, j6) = (AdminCommand.BrokerOption(), AdminCommand.JsonOption());
        var id6 = new Argument<string>("app-id");
        var remove = new Command("remove", "Deregister an app: it can no longer authenticate, and its tokens and its agents' tokens stop working at once.") { b6, j6, id6 };
        remove.SetAction((r, ct) => SendAsync(r.GetValue(b6)!, HttpMethod.Delete, $"/v1/admin/apps/{Uri.EscapeDataString(r.GetValue(id6)!)}", null, r.GetValue(j6), output, error, ct));
        apps.Subcommands.Add(remove);
        return apps;
    }

    public static Task<int> CreateAsync(string broker, string name, string[] scopes, int? tokenTtl, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null)
    {
        var body = new JsonObject { ["name"] = name, ["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]) };
        if (tokenTtl is not null)
        {
            body["token_ttl"] = tokenTtl;
        }

        return SendAsync(broker, HttpMethod.Post, "/v1/admin/apps", body, json, output, error, cancellationToken, adminSecret);
    }

    public static Task<int> ListAsync(string broker, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var result = await client.SendAsync(HttpMethod.Get, "/v1/admin/apps", null, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            await output.WriteLineAsync($"{"APP ID",-40} {"CLIENT ID",-41} {"STATUS",-9} {"TTL",6}  SCOPES");
            foreach (var app in result!["apps"]!.AsArray())
            {
                await output.WriteLineAsync($"{app!["app_id"],-40} {app["client_id"],-41} {app["status"],-9} {app["token_ttl"],6}  {string.Join(' ', app["scopes"]!.AsArray().Select(s => s!.GetValue<string>()))}");
            }

            return 0;
        }, adminSecret);

    public static Task<int> SendAsync(string broker, HttpMethod method, string path, JsonObject? body, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var result = await client.SendAsync(method, path, body, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            foreach (var (key, value) in result!.AsObject())
            {
                string text = value is JsonArray array ? string.Join(' ', array.Select(v => v?.ToString())) : value?.ToString() ?? "-";
                await output.WriteLineAsync($"{key + ":",-30} {TerminalText.Escape(text)}");
            }

            if (result["client_secret"] is not null)
            {
                await error.WriteLineAsync("The client secret is shown once; store it in your secret manager now.");
            }

            return 0;
        }, adminSecret);
}
