using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;

namespace Tessera.Cli.Admin;

/// <summary>
/// <c>tessera token [resource] [--scope ...]</c>: exchanges an agent's key id and secret at
/// <c>POST /v1/token</c> and prints the access token, so an operator can try a grant. The secret
/// comes from <c>TESSERA_AGENT_SECRET</c> or standard input, never from an argument (arguments
/// show in process lists and shell history), and goes only into the request's Basic header.
/// </summary>
internal static class TokenCommand
{
    public static Command Create(TextWriter output, TextWriter error, TextReader input)
    {
        var broker = AdminCommand.BrokerOption();
        var json = AdminCommand.JsonOption();
        var resource = new Argument<string?>("resource")
        {
            Description = "The platform: its id or base URL (optional when the agent is granted on exactly one platform).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var scope = new Option<string[]>("--scope") { Description = "Scope to ask for (repeat for several; default: the whole grant on the platform).", AllowMultipleArgumentsPerToken = true };
        var keyId = new Option<string?>("--key-id") { Description = "The agent's key id (default $TESSERA_AGENT_KEY_ID)." };
        var secretStdin = new Option<bool>("--secret-stdin") { Description = "Read the agent's secret from standard input (default $TESSERA_AGENT_SECRET)." };
        var command = new Command("token", "Get an access token for an agent with its key id and secret (POST /v1/token), to try its grant.") { broker, json, resource, scope, keyId, secretStdin };
        command.SetAction(async (r, ct) =>
        {
            string? id = r.GetValue(keyId) ?? Environment.GetEnvironmentVariable("TESSERA_AGENT_KEY_ID");
            string? secret = r.GetValue(secretStdin) ? await ReadSecretAsync(input, error, ct) : Environment.GetEnvironmentVariable("TESSERA_AGENT_SECRET");
            return await RunAsync(r.GetValue(broker)!, r.GetValue(resource), r.GetValue(scope) ?? [], id, secret, r.GetValue(json), output, error, ct);
        });
        return command;
    }

    public static Task<int> RunAsync(
        string broker, string? resource, string[] scopes, string? keyId, string? secret, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        AdminCommand.RunAsync(broker, error, async client =>
        {
            if (string.IsNullOrEmpty(keyId))
            {
                throw new CliConfigurationException("no agent key id: set TESSERA_AGENT_KEY_ID or pass --key-id");
            }

            if (string.IsNullOrEmpty(secret))
            {
                throw new CliConfigurationException("no agent secret: set TESSERA_AGENT_SECRET or pipe it into --secret-stdin");
            }

            var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
            if (!string.IsNullOrEmpty(resource))
            {
                form["resource"] = resource;
            }

            if (scopes.Length > 0)
            {
                form["scope"] = string.Join(' ', scopes);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token") { Content = new FormUrlEncodedContent(form) };

            // RFC 6749 2.3.1: both halves form-encoded before the Basic encoding.
            string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(keyId)}:{Uri.EscapeDataString(secret)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
            var result = await client.SendWithoutAdminTokenAsync(request, cancellationToken);
            if (json)
            {
                await AdminCommand.WriteJsonAsync(output, result);
                return 0;
            }

            // The token alone on standard output, so TOKEN=$(tessera token ...) works.
            await output.WriteLineAsync(result!["access_token"]!.GetValue<string>());
            await error.WriteLineAsync($"{result["token_type"]} token, expires in {result["expires_in"]} s, scope: {FieldWriter.Text(result["scope"])}");
            return 0;
        });

    /// <summary>One line from standard input; typed at a terminal, it is not echoed.</summary>
    private static async Task<string?> ReadSecretAsync(TextReader input, TextWriter error, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(input, Console.In) || Console.IsInputRedirected)
        {
            return (await input.ReadLineAsync(cancellationToken))?.Trim();
        }

        await error.WriteAsync("agent secret: ");
        var secret = new StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace)
            {
                secret.Length = Math.Max(0, secret.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }

        await error.WriteLineAsync();
        return secret.ToString().Trim();
    }
}
