using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace AgentSample;

/// <summary>What the sample needs: where the broker and the platform are, and the launch token(s).</summary>
internal sealed record AgentSampleSettings(Uri Broker, string LaunchToken, Uri PlatformUrl, string? SubLaunchToken, string OrchId, string TaskId)
{
    /// <summary>
    /// Reads <c>TESSERA_BROKER</c>, <c>TESSERA_LAUNCH_TOKEN</c>, <c>TESSERA_PLATFORM_URL</c> and the optional
    /// <c>TESSERA_SUB_LAUNCH_TOKEN</c>, <c>TESSERA_ORCH_ID</c> and <c>TESSERA_TASK_ID</c>.
    /// </summary>
    public static bool TryFromEnvironment([NotNullWhen(true)] out AgentSampleSettings? settings, [NotNullWhen(false)] out string? problem)
    {
        settings = null;
        string? broker = Environment.GetEnvironmentVariable("TESSERA_BROKER");
        string? launchToken = Environment.GetEnvironmentVariable("TESSERA_LAUNCH_TOKEN");
        string? platform = Environment.GetEnvironmentVariable("TESSERA_PLATFORM_URL");
        if (string.IsNullOrEmpty(broker) || string.IsNullOrEmpty(launchToken) || string.IsNullOrEmpty(platform))
        {
            problem = "set TESSERA_BROKER (broker URL), TESSERA_LAUNCH_TOKEN (from `tessera launch-token create`) and TESSERA_PLATFORM_URL (the orders API, e.g. http://127.0.0.1:5080)";
            return false;
        }

        if (!Uri.TryCreate(broker, UriKind.Absolute, out var brokerUrl) || !Uri.TryCreate(platform, UriKind.Absolute, out var platformUrl))
        {
            problem = "TESSERA_BROKER and TESSERA_PLATFORM_URL must be absolute http(s) URLs";
            return false;
        }

        string? sub = Environment.GetEnvironmentVariable("TESSERA_SUB_LAUNCH_TOKEN");
        string orch = Environment.GetEnvironmentVariable("TESSERA_ORCH_ID") is { Length: > 0 } o ? o : "sample-orch";
        string task = Environment.GetEnvironmentVariable("TESSERA_TASK_ID") is { Length: > 0 } t ? t : "sample-task-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        settings = new AgentSampleSettings(brokerUrl, launchToken, platformUrl, string.IsNullOrEmpty(sub) ? null : sub, orch, task);
        problem = null;
        return true;
    }
}
