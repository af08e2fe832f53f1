using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>
/// The README's first-hour scripts, run with bash exactly as written (samples/first-agent.sh,
/// samples/credential-agent.sh) against a real broker on loopback, and the sample platform and
/// agent as processes.
/// </summary>
public sealed class SampleScriptsTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    [PythonFact]
    public async Task FirstAgentScript_RegistersAnAgentWithItsOwnKey_AndPrintsItsIdAndClaims()
    {
        await using var broker = await LoopbackBroker.StartAsync();

        var (exit, output) = await RunScriptAsync("first-agent.sh", Environment(broker));

        Assert.True(exit == 0, output);
        string agentId = Printed(output, "agent_id");
        Assert.StartsWith("spiffe://tessera.test/agent/orch-001/task-", agentId, StringComparison.Ordinal);
        var claims = JsonNode.Parse(Printed(output, "claims"))!;
        Assert.Equal(agentId, claims["sub"]!.GetValue<string>());
        Assert.Equal(LoopbackBroker.Issuer, claims["iss"]!.GetValue<string>());
        Assert.Equal(["orders-api"], claims["aud"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["orders:read"], claims["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("300", Printed(output, "expires_in"));

        // The broker knows the agent: its registration is in the audit, and its token is good.
        await Wait.UntilAsync(async () => await broker.AuditCountAsync("agent_registered", agentId) == 1, "the registration in the audit");
        var validated = await PostJsonAsync(broker, "/v1/token/validate", new JsonObject { ["token"] = Printed(output, "ACCESS_TOKEN", '=') });
        Assert.True(validated["valid"]!.GetValue<bool>(), validated.ToJsonString());

        // A second run registers another agent: the script can be run again as it is.
        var (again, secondOutput) = await RunScriptAsync("first-agent.sh", Environment(broker));
        Assert.True(again == 0, secondOutput);
        Assert.NotEqual(agentId, Printed(secondOutput, "agent_id"));
    }

    [Fact]
    public async Task CredentialAgentScript_CreatesPlatformAgentAndGrant_MintsAToken_AndRunsTheSampleAgentAgainstThePlatform()
    {
        await using var broker = await LoopbackBroker.StartAsync();
        var platformUrl = new Uri($"http://127.0.0.1:{SampleProcess.FreePort()}");
        await using var platform = SampleProcess.Start(
            SampleProcess.NextToTests("PlatformApi.dll"),
            new Dictionary<string, string>
            {
                ["TESSERA_BROKER"] = broker.Url,
                ["TESSERA_ISSUER"] = LoopbackBroker.Issuer,
                ["TESSERA_PLATFORM_ID"] = LoopbackBroker.Platform,
            },
            "--urls",
            platformUrl.ToString());
        await platform.WaitForHealthAsync(new Uri(platformUrl, "health"));
        var environment = Environment(broker);
        environment["PLATFORM_URL"] = platformUrl.ToString();
        environment["RUN_AGENT"] = "1";
        environment["CREDENTIAL_AGENT_DLL"] = SampleProcess.OwnOutput("CredentialAgent", "CredentialAgent.dll");

        var (exit, output) = await RunScriptAsync("credential-agent.sh", environment);

        Assert.True(exit == 0, output + "\n--- platform:\n" + platform.Output);
        string agentId = Printed(output, "agent_id");
        string keyId = Printed(output, "key_id");
        var claims = JsonNode.Parse(Printed(output, "claims"))!;
        Assert.Equal(agentId, claims["sub"]!.GetValue<string>());
        Assert.Equal(keyId, claims["client_id"]!.GetValue<string>());
        Assert.Equal(["orders-api"], claims["aud"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["orders:read", "orders:write"], claims["scope"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Contains("token: token_type Bearer, expires_in 900, scope orders:read orders:write", output, StringComparison.Ordinal);

        // The sample agent's calls went through the SDK to the sample platform, as this agent.
        Assert.Contains($"GET /orders -> 200 {{\"agent\":\"{agentId}\"", output, StringComparison.Ordinal);
        Assert.Contains("POST /orders -> 201", output, StringComparison.Ordinal);
        Assert.Contains($"token endpoint {broker.Url}/v1/token, tokens minted: 1", output, StringComparison.Ordinal);

        // What the script made is at the broker.
        var agent = await broker.AdminAsync(HttpMethod.Get, $"/v1/admin/agents/{keyId}");
        Assert.Equal(agentId, agent["agent_id"]!.GetValue<string>());
        Assert.Equal("active", agent["status"]!.GetValue<string>());
        var grant = Assert.Single(agent["grants"]!.AsArray());
        Assert.Equal("orders-api", grant!["platform_id"]!.GetValue<string>());
        var platformView = await broker.AdminAsync(HttpMethod.Get, "/v1/admin/platforms/orders-api");
        Assert.Contains("127.0.0.1", platformView["hostnames"]!.AsArray().Select(h => h!.GetValue<string>()));
        await Wait.UntilAsync(async () => await broker.AuditCountAsync("token_exchanged", agentId) >= 2, "the script's exchange and the sample agent's in the audit");

        // Run again: the platform is reused, a new agent is made.
        environment["RUN_AGENT"] = "0";
        var (again, secondOutput) = await RunScriptAsync("credential-agent.sh", environment);
        Assert.True(again == 0, secondOutput);
        Assert.Contains("platform orders-api exists", secondOutput, StringComparison.Ordinal);
        Assert.NotEqual(keyId, Printed(secondOutput, "key_id"));
    }

    [Fact]
    public async Task CredentialAgentScript_ExitsOneWithAClearMessage_WhenTheBrokerIsUnreachableOrTheSecretMissingOrWrong()
    {
        var unreachable = new Dictionary<string, string>
        {
            ["BROKER"] = $"http://127.0.0.1:{SampleProcess.FreePort()}",
            ["TESSERA_ADMIN_SECRET"] = "whatever",
            ["PYTHON"] = PythonFactAttribute.Python,
        };
        var (exit, output) = await RunScriptAsync("credential-agent.sh", unreachable);
        Assert.Equal(1, exit);
        Assert.Contains($"no broker answers at {unreachable["BROKER"]}", output, StringComparison.Ordinal);

        await using var broker = await LoopbackBroker.StartAsync();
        var missing = Environment(broker);
        missing.Remove("TESSERA_ADMIN_SECRET");
        (exit, output) = await RunScriptAsync("credential-agent.sh", missing);
        Assert.Equal(1, exit);
        Assert.Contains("set TESSERA_ADMIN_SECRET", output, StringComparison.Ordinal);

        var wrong = Environment(broker);
        wrong["TESSERA_ADMIN_SECRET"] = "not-the-admin-secret-0123456789";
        (exit, output) = await RunScriptAsync("credential-agent.sh", wrong);
        Assert.Equal(1, exit);
        Assert.Contains("the broker refused the admin secret: unauthorized: invalid credentials", output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Environment(LoopbackBroker broker) => new()
    {
        ["BROKER"] = broker.Url,
        ["TESSERA_ADMIN_SECRET"] = LoopbackBroker.AdminSecret,
        ["PYTHON"] = PythonFactAttribute.Python,
    };

    /// <summary>The value of the script's <c>name: value</c> (or <c>name=value</c>) line.</summary>
    private static string Printed(string output, string name, char separator = ':')
    {
        string prefix = name + separator;
        string line = output.Split('\n').Select(l => l.TrimEnd('\r')).SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no '{prefix}' line in:\n{output}");
        return line[prefix.Length..].Trim();
    }

    private static async Task<JsonObject> PostJsonAsync(LoopbackBroker broker, string path, JsonObject body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await broker.Client.PostAsync(path, content);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>Runs samples/<paramref name="script"/> with bash, with only the given TESSERA_* variables; returns its exit code and output.</summary>
    private static async Task<(int Exit, string Output)> RunScriptAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        string path = Path.Combine(RepoRoot(), "samples", script);
        Assert.True(File.Exists(path), path);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot(),
        };
        start.ArgumentList.Add(path);
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("TESSERA_", StringComparison.Ordinal) || k is "BROKER" or "PLATFORM_URL").ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} still running after {ScriptTimeout.TotalSeconds} s:\n{Text(output)}");
        }

        process.WaitForExit();
        return (process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tessera.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
