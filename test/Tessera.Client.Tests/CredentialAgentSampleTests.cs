using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>samples/CredentialAgent's refusals: what it prints and its exit codes (its success is run by <see cref="SampleScriptsTests"/>).</summary>
public sealed class CredentialAgentSampleTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    [Fact]
    public async Task Sample_ExitsTwo_NamingTheVariables_WhenTheCredentialsAreMissing()
    {
        await using var agent = SampleProcess.Start(SampleProcess.OwnOutput("CredentialAgent", "CredentialAgent.dll"), new Dictionary<string, string> { ["TESSERA_BROKER"] = env.Broker.Url });

        Assert.Equal(2, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("TESSERA_AGENT_KEY_ID", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_ExitsOne_WithTheBrokersErrorCode_WhenTheAudienceIsNotAPlatform()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        await using var agent = SampleProcess.Start(SampleProcess.OwnOutput("CredentialAgent", "CredentialAgent.dll"), new Dictionary<string, string>
        {
            ["TESSERA_BROKER"] = env.Broker.Url,
            ["TESSERA_AGENT_KEY_ID"] = info.KeyId,
            ["TESSERA_AGENT_SECRET"] = info.Secret,
            ["PLATFORM_URL"] = env.Platform.BaseAddress.ToString(),
            ["TESSERA_AUDIENCE"] = "billing-api",
        });

        Assert.Equal(1, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("error: invalid_target: ", agent.Output, StringComparison.Ordinal);
        Assert.Contains("request id: ", agent.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(info.Secret, agent.Output, StringComparison.Ordinal);
    }
}
