using AgentSample;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>samples/Agent end to end: against a real broker and samples/PlatformApi, as processes and in-process.</summary>
public sealed class AgentSampleTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    [Fact]
    public async Task Sample_RegistersCallsDelegatesAndExitsZero_WhenRunAsAProcessAgainstTheSamplePlatform()
    {
        var platformUrl = new Uri($"http://127.0.0.1:{SampleProcess.FreePort()}");
        await using var platform = SampleProcess.Start(
            SampleProcess.NextToTests("PlatformApi.dll"),
            new Dictionary<string, string>
            {
                ["TESSERA_BROKER"] = env.Broker.Url,
                ["TESSERA_ISSUER"] = LoopbackBroker.Issuer,
                ["TESSERA_PLATFORM_ID"] = LoopbackBroker.Platform,
            },
            "--urls",
            platformUrl.ToString());
        await platform.WaitForHealthAsync(new Uri(platformUrl, "health"));

        // Only the three documented variables: the sub-agent reuses the (multi-use) launch token.
        string launch = await env.Broker.LaunchTokenAsync(singleUse: false);
        await using var agent = SampleProcess.Start(SampleProcess.OwnOutput("Agent", "Agent.dll"), new Dictionary<string, string>
        {
            ["TESSERA_BROKER"] = env.Broker.Url,
            ["TESSERA_LAUNCH_TOKEN"] = launch,
            ["TESSERA_PLATFORM_URL"] = platformUrl.ToString(),
        });

        int exit = await agent.WaitForExitAsync(TimeSpan.FromSeconds(45));

        string output = agent.Output;
        Assert.True(exit == 0, output + "\n--- platform:\n" + platform.Output);
        Assert.Contains("POST /orders -> 201", output, StringComparison.Ordinal);
        Assert.Contains("registered sub-agent spiffe://", output, StringComparison.Ordinal);
        Assert.Contains("sub-agent GET  /orders -> 200", output, StringComparison.Ordinal);
        Assert.Contains("sub-agent POST /orders -> 403", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.DoesNotContain(launch, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_ExitsTwo_WhenTheEnvironmentIsIncomplete()
    {
        await using var agent = SampleProcess.Start(SampleProcess.OwnOutput("Agent", "Agent.dll"), new Dictionary<string, string> { ["TESSERA_BROKER"] = env.Broker.Url });

        Assert.Equal(2, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("TESSERA_LAUNCH_TOKEN", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walkthrough_UsesTheSubLaunchToken_WhenGiven()
    {
        var settings = Settings(await env.Broker.LaunchTokenAsync(), await env.Broker.LaunchTokenAsync(["orders:read"]));
        using var output = new StringWriter();

        int exit = await AgentWalkthrough.RunAsync(settings, output, CancellationToken.None);

        Assert.True(exit == 0, output.ToString());
        Assert.Contains("sub-agent GET  /orders -> 200", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walkthrough_SkipsDelegationWithANote_WhenTheSingleUseLaunchTokenCannotRegisterASubAgent()
    {
        var settings = Settings(await env.Broker.LaunchTokenAsync(), subLaunchToken: null);
        using var output = new StringWriter();

        int exit = await AgentWalkthrough.RunAsync(settings, output, CancellationToken.None);

        Assert.True(exit == 0, output.ToString());
        Assert.Contains("note  delegation skipped", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("GET  /orders/", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walkthrough_ExitsOne_WhenACallFails()
    {
        var settings = Settings("not-a-launch-token", subLaunchToken: null);
        using var output = new StringWriter();

        int exit = await AgentWalkthrough.RunAsync(settings, output, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  register: unauthorized (status 401", output.ToString(), StringComparison.Ordinal);
    }

    private AgentSampleSettings Settings(string launchToken, string? subLaunchToken) =>
        new(env.BrokerUrl, launchToken, env.Platform.BaseAddress, subLaunchToken, "orch-sample", "task-" + Guid.NewGuid().ToString("N")[..8]);
}
