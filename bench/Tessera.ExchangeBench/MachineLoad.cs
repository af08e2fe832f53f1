using System.Globalization;

namespace Tessera.ExchangeBench;

/// <summary>
/// The machine's 1-minute load average (Linux), printed beside the figures: on a shared machine
/// other work takes cores from both sides, and a reader should know how much.
/// </summary>
internal static class MachineLoad
{
    public static double? OneMinute()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path))
        {
            return null;
        }

        string first = File.ReadAllText(path).Split(' ')[0];
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
    }

    public static string Describe(double? load) => load is { } l
        ? string.Create(CultureInfo.InvariantCulture, $"load average {l:F2} on {Environment.ProcessorCount} cores{(l > Environment.ProcessorCount * 0.5 ? " (other work is running: figures are noisy)" : "")}")
        : "load average unknown";
}
