using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tessera.Broker.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>Builds and runs the broker; configuration problems become one FATAL line and exit code 1.</summary>
internal static class BrokerRunner
{
    public static async Task<int> RunAsync(
        IEnumerable<string> urls, string? configFile, IReadOnlyDictionary<string, string?>? overrides, IssuerDefault issuerDefault,
        TextWriter output, TextWriter error, CancellationToken cancellationToken, Action<string>? onStarted = null)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            await error.WriteLineAsync($"FATAL: config file not found at path: {configFile}");
            return 1;
        }

        WebApplication app;
        try
        {
            app = BrokerHost.Build(urls, configFile, overrides, issuerDefault: issuerDefault);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync("FATAL: " + ex.Failures.First());
            return 1;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException or FormatException or InvalidDataException or System.Data.Common.DbException)
        {
            await error.WriteLineAsync("FATAL: " + OneLine(ex));
            return 1;
        }

        try
        {
            await app.StartAsync(cancellationToken);
            await output.WriteLineAsync($"Tessera broker listening on {string.Join(", ", app.Urls)}");
            await WriteIssuerAsync(app.Services.GetRequiredService<IssuerResolution>(), issuerDefault, output, error);
            onStarted?.Invoke(app.Urls.First().TrimEnd('/'));
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Data.Common.DbException)
        {
            await error.WriteLineAsync("FATAL: " + OneLine(ex));
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task WriteIssuerAsync(IssuerResolution issuer, IssuerDefault issuerDefault, TextWriter output, TextWriter error)
    {
        if (!issuer.FromListenUrl)
        {
            await output.WriteLineAsync($"issuer: {issuer.Issuer}");
            return;
        }

        await output.WriteLineAsync($"issuer: {issuer.Issuer} (from the first listen URL; set TESSERA_ISSUER to the public URL behind a proxy)");
        if (issuer.IsLoopback && issuerDefault == IssuerDefault.LoopbackListenUrl)
        {
            await error.WriteLineAsync(
                $"warning: the issuer is a loopback default ({issuer.Issuer}): tokens name a broker only this machine can reach; " +
                "set TESSERA_ISSUER to the URL clients use");
        }
    }

    private static string OneLine(Exception ex)
    {
        var message = ex.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline >= 0 ? message[..newline].TrimEnd() : message;
    }
}
