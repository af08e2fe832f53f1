using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>Shared options and error handling of the admin verbs. Exit codes: 0 ok, 1 usage or configuration, 2 refused by the broker, 3 broker unreachable.</summary>
internal static class AdminCommand
{
    public static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    /// <summary>The one name every part reads for the broker's URL (the SDK, the samples, the CLI).</summary>
    public const string BrokerVariable = "TESSERA_BROKER";

    /// <summary>The CLI's earlier name, still read when <see cref="BrokerVariable"/> is unset, with a warning.</summary>
    public const string LegacyBrokerVariable = "TESSERA_BROKER_URL";

    public const string DefaultBroker = "http://127.0.0.1:8080";

    public static Option<string> BrokerOption() => new("--broker")
    {
        Description = $"Broker URL (default ${BrokerVariable}, else {DefaultBroker}).",
        DefaultValueFactory = _ => DefaultBrokerUrl(),
    };

    /// <summary><c>TESSERA_BROKER</c>, else the older <c>TESSERA_BROKER_URL</c>, else the local default.</summary>
    public static string DefaultBrokerUrl() =>
        Environment.GetEnvironmentVariable(BrokerVariable) is { Length: > 0 } url ? url
        : Environment.GetEnvironmentVariable(LegacyBrokerVariable) is { Length: > 0 } legacy ? legacy
        : DefaultBroker;

    public static Option<bool> JsonOption() => new("--json") { Description = "Print the broker's JSON answer." };

    /// <summary>Runs an admin action with a client, mapping failures to exit codes and one line on stderr.</summary>
    public static async Task<int> RunAsync(string broker, TextWriter error, Func<BrokerClient, Task<int>> action, string? adminSecret = null)
    {
        if (!Uri.TryCreate(broker, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"error: --broker must be an http(s) URL (got '{broker}')");
            return 1;
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(BrokerVariable)) &&
            Environment.GetEnvironmentVariable(LegacyBrokerVariable) is { Length: > 0 } legacy && legacy == broker)
        {
            await error.WriteLineAsync($"warning: {LegacyBrokerVariable} is the old name of {BrokerVariable}; set {BrokerVariable} instead");
        }

        using var client = new BrokerClient(uri, adminSecret ?? Environment.GetEnvironmentVariable("TESSERA_ADMIN_SECRET"));
        try
        {
            return await action(client);
        }
        catch (CliConfigurationException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
        catch (BrokerException ex)
        {
            // First line as before (scripts match on it); then what the broker advised, and which broker it was.
            await error.WriteLineAsync($"error: broker answered {ex.Status} {TerminalText.Escape(ex.Code)}: {TerminalText.Escape(ex.Detail)}");
            if (!string.IsNullOrWhiteSpace(ex.Hint))
            {
                await error.WriteLineAsync($"  hint: {TerminalText.Escape(ex.Hint)}");
            }

            await error.WriteLineAsync($"  broker: {uri}");
            return 2;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or TaskCanceledException)
        {
            await error.WriteLineAsync($"error: cannot reach the broker at {uri}: {ex.Message}");
            return 3;
        }
    }

    public static Task WriteJsonAsync(TextWriter output, JsonNode? node) => output.WriteLineAsync(node?.ToJsonString(Pretty) ?? "null");
}
