using System.CommandLine;
using Tessera.Cli.Admin;
using Tessera.Cli.Commands;

var root = new RootCommand("Tessera: identity and authorization for AI agents.")
{
    ServeCommand.Create(Console.Out, Console.Error),
    DevCommand.Create(Console.Out, Console.Error),
    InitCommand.Create(Console.Out, Console.Error),
    LaunchTokenCommand.Create(Console.Out, Console.Error),
    RevokeCommand.Create(Console.Out, Console.Error),
    AuditCommand.Create(Console.Out, Console.Error),
    KeysCommand.Create(Console.Out, Console.Error),
    AppsCommand.Create(Console.Out, Console.Error),
    PlatformsCommand.Create(Console.Out, Console.Error),
    AgentsCommand.Create(Console.Out, Console.Error),
    TokenCommand.Create(Console.Out, Console.Error, Console.In),
};
return await root.Parse(args).InvokeAsync();
