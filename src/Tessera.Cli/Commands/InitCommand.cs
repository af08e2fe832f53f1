using System.CommandLine;

namespace Tessera.Cli.Commands;

/// <summary><c>tessera init</c>: writes a config file with a new admin secret's bcrypt hash and prints the secret once.</summary>
internal static class InitCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var mode = new Option<string>("--mode") { Description = "dev or prod.", DefaultValueFactory = _ => "dev" };
        mode.AcceptOnlyFromAmong("dev", "prod");
        var path = new Option<string?>("--config-path") { Description = "Where to write the config (default ./.tessera/config.json for dev, ./tessera.json for prod)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing config file." };
        var command = new Command("init", "Generate a config file with a strong admin secret.") { mode, path, force };
        command.SetAction(result => Run(result.GetValue(mode)!, result.GetValue(path), result.GetValue(force), output, error));
        return command;
    }

    public static int Run(string mode, string? configPath, bool force, TextWriter output, TextWriter error)
    {
        bool prod = string.Equals(mode, "prod", StringComparison.Ordinal);
        string path = configPath ?? (prod ? "tessera.json" : Path.Combine(DevCommand.DataDirectory, "config.json"));
        if (File.Exists(path) && !force)
        {
            error.WriteLine($"FATAL: config file already exists at {path}; pass --force to overwrite it");
            return 1;
        }

        string secret = AdminSecretGenerator.Generate();
        var settings = new List<KeyValuePair<string, object>> { new("admin_secret_hash", AdminSecretGenerator.Hash(secret)) };
        if (prod)
        {
            settings.Add(new("db", "/var/lib/tessera/tessera.db"));
            settings.Add(new("signing_key_path", "/var/lib/tessera/signing-key.json"));
            settings.Add(new("secret_pepper_path", "/var/lib/tessera/pepper"));
            settings.Add(new("default_ttl", 300));
            settings.Add(new("max_ttl", 3600));
        }
        else
        {
            settings.Add(new("db", Path.Combine(DevCommand.DataDirectory, "tessera.db")));
            settings.Add(new("signing_key_path", Path.Combine(DevCommand.DataDirectory, "signing-key.json")));
            settings.Add(new("secret_pepper_path", Path.Combine(DevCommand.DataDirectory, "pepper")));
            settings.Add(new("default_ttl", 300));
            settings.Add(new("max_ttl", 86400));
        }

        try
        {
            ConfigFileWriter.Write(path, settings);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"FATAL: cannot write config file {path}: {ex.Message}");
            return 1;
        }

        output.WriteLine($"Wrote {path} ({mode}); it holds only the bcrypt hash of the admin secret.");
        output.WriteLine("Admin secret (shown once, store it in your secret manager):");
        output.WriteLine($"  {secret}");
        output.WriteLine($"Start the broker with: tessera serve --config {path}");
        return 0;
    }
}
