using System.CommandLine;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera dev</c>: the broker on http://127.0.0.1:8080 with SQLite under <c>./.tessera/</c>.
/// On first run without a configured secret it generates one, stores only its bcrypt hash and
/// prints the secret once.
/// </summary>
internal static class DevCommand
{
    public const string DataDirectory = ".tessera";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var urls = new Option<string[]>("--urls")
        {
            Description = "Addresses to listen on.",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["http://127.0.0.1:8080"],
        };
        var dataDir = new Option<string>("--data-dir") { Description = "Where the dev database, key and config live.", DefaultValueFactory = _ => DataDirectory };
        var command = new Command("dev", "Run a development broker with embedded SQLite and a generated admin secret.") { urls, dataDir };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(urls)!, result.GetValue(dataDir)!, output, error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string[] urls, string dataDir, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string configPath = Path.Combine(dataDir, "config.json");
        bool secretFromEnvironment = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TESSERA_ADMIN_SECRET")) ||
                                     !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TESSERA_ADMIN_SECRET_HASH"));
        string? newSecret = null;
        if (!File.Exists(configPath))
        {
            var settings = new List<KeyValuePair<string, object>>
            {
                new("db", Path.Combine(dataDir, "tessera.db")),
                new("signing_key_path", Path.Combine(dataDir, "signing-key.json")),
                new("secret_pepper_path", Path.Combine(dataDir, "pepper")),
                new("issuer", urls[0].TrimEnd('/')),
            };
            if (!secretFromEnvironment)
            {
                newSecret = AdminSecretGenerator.Generate();
                settings.Insert(0, new("admin_secret_hash", AdminSecretGenerator.Hash(newSecret)));
            }

            ConfigFileWriter.Write(configPath, settings);
        }

        string url = urls[0].TrimEnd('/');
        return await BrokerRunner.RunAsync(urls, configPath, null, output, error, cancellationToken, onStarted: () =>
        {
            if (newSecret is not null)
            {
                output.WriteLine();
                output.WriteLine($"Admin secret (shown once; only its bcrypt hash is stored in {configPath}):");
                output.WriteLine($"  {newSecret}");
                output.WriteLine("Next step: authenticate as admin:");
                output.WriteLine($"  curl -s -X POST {url}/v1/admin/auth -H 'Content-Type: application/json' -d '{{\"secret\":\"{newSecret}\"}}'");
                output.WriteLine();
                output.Flush();
            }
        });
    }
}
