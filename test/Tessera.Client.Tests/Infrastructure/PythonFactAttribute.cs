using System.Diagnostics;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>
/// A fact that needs Python 3 with <c>requests</c> and <c>cryptography</c> (what scripts/test.sh
/// provisions; <c>TESSERA_TEST_PYTHON</c> names the interpreter, default <c>python3</c>). Skipped,
/// saying so, only when those modules are missing.
/// </summary>
public sealed class PythonFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(Probe);

    public PythonFactAttribute()
    {
        if (Missing.Value is { } why)
        {
            Skip = why;
        }
    }

    /// <summary>The interpreter the tests hand to the scripts.</summary>
    public static string Python => Environment.GetEnvironmentVariable("TESSERA_TEST_PYTHON") is { Length: > 0 } p ? p : "python3";

    private static string? Probe()
    {
        try
        {
            var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import requests, cryptography");
            using var process = Process.Start(start)!;
            process.WaitForExit(30_000);
            return process.HasExited && process.ExitCode == 0 ? null : $"{Python} lacks the requests or cryptography module (scripts/test.sh installs python3-requests and python3-cryptography)";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{Python} is not installed (scripts/test.sh installs python3 with requests and cryptography)";
        }
    }
}
