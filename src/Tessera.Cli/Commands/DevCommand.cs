using System.CommandLine;
using Tessera.Broker.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera dev</c>: the broker on http://127.0.0.1:8080 with SQLite under <c>./.tessera/</c>; without
/// <c>TESSERA_ISSUER</c> its issuer is the first listen URL (the port it bound, for port 0).
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
        // Migrations, key generation and the secret's bcrypt hash take a moment on a small machine: say so first.
        await output.WriteLineAsync($"starting the broker (data in {DisplayDirectory(dataDir)})…");
        await output.FlushAsync(cancellationToken);
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
            };
            if (!secretFromEnvironment)
            {
                newSecret = AdminSecretGenerator.Generate();
                settings.Insert(0, new("admin_secret_hash", AdminSecretGenerator.Hash(newSecret)));
            }

            ConfigFileWriter.Write(configPath, settings);
        }

        return await BrokerRunner.RunAsync(urls, configPath, null, IssuerDefault.AnyListenUrl, output, error, cancellationToken, onStarted: url =>
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

    private static string DisplayDirectory(string dataDir)
    {
        string shown = Path.IsPathRooted(dataDir) || dataDir.StartsWith("./", StringComparison.Ordinal) || dataDir.StartsWith("../", StringComparison.Ordinal) ? dataDir : "./" + dataDir;
        return shown.EndsWith('/') || shown.EndsWith(Path.DirectorySeparatorChar) ? shown : shown + "/";
    }
}
