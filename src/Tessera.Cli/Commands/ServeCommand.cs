using System.CommandLine;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera serve</c>: the production entry point.</summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = "Addresses to listen on (default http://127.0.0.1:8080).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["http://127.0.0.1:8080"],
        };
        var config = new Option<string?>("--config") { Description = "JSON config file (flat snake_case keys); TESSERA_* environment variables override it." };
        var command = new Command("serve", "Run the broker.") { urls, config };
        command.SetAction((result, cancellationToken) =>
            BrokerRunner.RunAsync(result.GetValue(urls)!, result.GetValue(config), null, output, error, cancellationToken));
        return command;
    }
}
