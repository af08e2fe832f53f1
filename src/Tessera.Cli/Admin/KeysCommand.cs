using System.CommandLine;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary><c>tessera keys list|rotate</c>.</summary>
internal static class KeysCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var broker = AdminCommand.BrokerOption();
        var json = AdminCommand.JsonOption();
        var list = new Command("list", "List the broker's signing keys.") { broker, json };
        list.SetAction((r, ct) => RunAsync(r.GetValue(broker)!, rotate: false, r.GetValue(json), output, error, ct));
        var rotateBroker = AdminCommand.BrokerOption();
        var rotateJson = AdminCommand.JsonOption();
        var rotate = new Command("rotate", "Make a new signing key active; previous keys stay published until their tokens expire.") { rotateBroker, rotateJson };
        rotate.SetAction((r, ct) => RunAsync(r.GetValue(rotateBroker)!, rotate: true, r.GetValue(rotateJson), output, error, ct));
        return new Command("keys", "Signing keys.") { list, rotate };
    }

    public static Task<int> RunAsync(string broker, bool rotate, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? adminSecret = null) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            var result = rotate
                ? await client.SendAsync(HttpMethod.Post, "/v1/admin/keys/rotate", null, cancellationToken)
                : await client.SendAsync(HttpMethod.Get, "/v1/admin/keys", null, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            if (rotate)
            {
                await output.WriteLineAsync($"rotated: {result!["previous_kid"]} -> {result["active_kid"]}");
            }

            await output.WriteLineAsync($"{"KID",-45} {"ALG",-6} {"STATUS",-9} {"CREATED",-21} RETIRES");
            var rings = result!["profile_keys"] is JsonArray profile ? [result["keys"]!.AsArray(), profile] : new[] { result["keys"]!.AsArray() };
            foreach (var key in rings.SelectMany(ring => ring))
            {
                await output.WriteLineAsync($"{key!["kid"],-45} {key["alg"],-6} {key["status"],-9} {key["created_at"],-21} {key["retires_at"]?.ToString() ?? "-"}");
            }

            return 0;
        }, adminSecret);
}
