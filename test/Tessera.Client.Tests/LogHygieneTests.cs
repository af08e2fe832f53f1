using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>
/// Every log line of the broker, the platform and the agent's HttpClient (all categories, Trace
/// and up) while both kinds of agent work, refresh after a revocation, delegate and fail: none
/// holds a secret, a launch token or a token.
/// </summary>
public sealed class LogHygieneTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private LoopbackBroker _broker = null!;
    private OrdersPlatform _platform = null!;

    public async Task InitializeAsync()
    {
        _broker = await LoopbackBroker.StartAsync(logs: _logs);
        await _broker.CreatePlatformAsync();
        _platform = await OrdersPlatform.StartAsync(_broker, logs: _logs);
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task NoLogLine_ContainsASecretOrAToken()
    {
        var secrets = new List<string> { await _broker.AdminTokenAsync() };
        var failures = new List<Exception>();
        var info = await _broker.CreateCredentialAgentAsync();
        secrets.Add(info.Secret);
        string launch = await _broker.LaunchTokenAsync(singleUse: false);
        secrets.Add(launch);

        var services = new ServiceCollection();
        services.AddLogging(_logs.AddTo);
        services.AddTesseraCredentialAgent(o =>
        {
            o.BrokerUrl = _broker.BaseAddress;
            o.KeyId = info.KeyId;
            o.Secret = info.Secret;
        });

        // The application narrows header redaction to its own header; Authorization must stay redacted anyway.
        services.AddHttpClient("orders", c => c.BaseAddress = _platform.BaseAddress).AddTesseraAgent(o => o.AllowedOrigins.Add(_platform.BaseAddress)).RedactLoggedHeaders(["X-Api-Key"]);
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var orders = factory.CreateClient("orders");
        var credentialAgent = provider.GetRequiredService<TesseraCredentialAgent>();

        // The credential agent: read, write with and without a key after its token was revoked.
        Assert.Equal(HttpStatusCode.OK, (await orders.GetAsync("orders")).StatusCode);
        string revoked = await credentialAgent.GetTokenAsync(LoopbackBroker.Platform);
        await _broker.AdminAsync(HttpMethod.Post, "/v1/revoke", new { level = "token", target = Wait.Payload(revoked)["jti"]!.GetValue<string>() });
        await Wait.UntilPlatformRefusesAsync(_platform, revoked);
        Assert.Equal(HttpStatusCode.OK, (await orders.GetAsync("orders")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await orders.PostAsJsonAsync("orders", new { item = "logged" })).StatusCode);

        // The registered agent and a sub-agent it delegates to.
        using var agent = await TesseraAgent.RegisterAsync(_broker.BaseAddress, launch, "orch-log", "task-log", ["orders:read", "orders:write"]);
        using var sub = await TesseraAgent.RegisterAsync(_broker.BaseAddress, launch, "orch-log", "task-log-sub", ["orders:read"]);
        var delegated = await agent.DelegateAsync(sub.AgentId, ["orders:read"], TimeSpan.FromMinutes(1));
        var agentServices = new ServiceCollection();
        agentServices.AddLogging(_logs.AddTo);
        agentServices.AddHttpClient("agent", c => c.BaseAddress = _platform.BaseAddress).AddTesseraAgent(agent, o => o.AllowedOrigins.Add(_platform.BaseAddress));
        agentServices.AddHttpClient("sub", c => c.BaseAddress = _platform.BaseAddress).AddTesseraAgent(delegated, o => o.AllowedOrigins.Add(_platform.BaseAddress));
        await using var agentProvider = agentServices.BuildServiceProvider();
        var agentFactory = agentProvider.GetRequiredService<IHttpClientFactory>();
        Assert.Equal(HttpStatusCode.OK, (await agentFactory.CreateClient("agent").GetAsync("orders")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agentFactory.CreateClient("sub").GetAsync("orders")).StatusCode);
        secrets.Add(await agent.GetTokenAsync());
        secrets.Add(await sub.GetTokenAsync());
        await agent.ReleaseAsync();

        // Failures: a wrong secret, and a revoked agent.
        using (var wrong = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = _broker.BaseAddress, KeyId = info.KeyId, Secret = info.Secret + "x" }))
        {
            failures.Add(await Assert.ThrowsAsync<TesseraException>(() => wrong.GetTokenAsync(LoopbackBroker.Platform).AsTask()));
        }

        await _broker.RevokeCredentialAgentAsync(info.KeyId);
        await Wait.UntilPlatformRefusesAsync(_platform, await credentialAgent.GetTokenAsync(LoopbackBroker.Platform));
        failures.Add(await Assert.ThrowsAsync<TesseraRevokedException>(() => orders.GetAsync("orders")));

        secrets.AddRange(_platform.Requests.Select(r => r.Authorization).OfType<string>().Select(a => a["Bearer ".Length..]));
        secrets.Add(delegated.Token);
        var lines = _logs.Lines;
        Assert.Contains(lines, l => l.Contains("System.Net.Http.HttpClient.orders", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Tessera.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Authorization", StringComparison.Ordinal));
        foreach (string secret in secrets.Distinct())
        {
            // A JWT's signature alone would be as bad as the whole token.
            string[] parts = secret.Split('.');
            foreach (string needle in parts.Length == 3 ? [secret, parts[2]] : new[] { secret })
            {
                Assert.DoesNotContain(lines, l => l.Contains(needle, StringComparison.Ordinal));
                Assert.DoesNotContain(failures, f => f.ToString().Contains(needle, StringComparison.Ordinal));
            }
        }
    }
}
