using System.CommandLine;
using Tessera.Broker.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera serve</c>: the production entry point. Without <c>TESSERA_ISSUER</c> it takes its issuer
/// from the first listen URL only when that is a loopback address, and refuses to start otherwise.
/// </summary>
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
            BrokerRunner.RunAsync(result.GetValue(urls)!, result.GetValue(config), null, IssuerDefault.LoopbackListenUrl, output, error, cancellationToken));
        return command;
    }
}
