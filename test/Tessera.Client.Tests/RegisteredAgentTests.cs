using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>An agent registered with a launch token, against a real broker and the orders platform over loopback.</summary>
public sealed class RegisteredAgentTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    private static readonly string[] ReadWrite = ["orders:read", "orders:write"];

    [Fact]
    public async Task RegisterAsync_ReturnsAnAgentWhoseTokenThePlatformAccepts()
    {
        using var agent = await RegisterAsync();
        using var client = env.ClientFor(agent);

        using var response = await client.GetAsync("orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(agent.AgentId, (await response.Content.ReadFromJsonAsync<JsonObject>())!["agent"]!.GetValue<string>());
        Assert.StartsWith("spiffe://tessera.test/agent/", agent.AgentId, StringComparison.Ordinal);
        Assert.Equal(32, agent.PublicKey.Length);
        Assert.Equal(1, agent.TokensMinted);
    }

    [Fact]
    public async Task RegisterAsync_KeepsTheKeyInAnOwnerOnlyFile_AndReusesIt()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tessera-key-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string keyFile = Path.Combine(directory, "agent.key");
            using var first = await RegisterAsync(new TesseraAgentRegistrationOptions { KeyFile = keyFile });
            using var second = await RegisterAsync(new TesseraAgentRegistrationOptions { KeyFile = keyFile });

            Assert.True(first.PublicKey.Span.SequenceEqual(second.PublicKey.Span));
            Assert.NotEqual(first.AgentId, second.AgentId);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite)]
    public async Task RegisterAsync_RefusesTheKeyFile_BeforeAnyBrokerCall_WhenOtherUsersCanReadOrChangeIt(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permission bits only; on Windows the file's ACL is the user's business (see the README).
        }

        string directory = Path.Combine(Path.GetTempPath(), "tessera-key-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string keyFile = Path.Combine(directory, "agent.key");
            using (await RegisterAsync(new TesseraAgentRegistrationOptions { KeyFile = keyFile }))
            {
            }

            File.SetUnixFileMode(keyFile, mode);
            var counter = new BrokerCallCounter();
            string launch = await env.Broker.LaunchTokenAsync();

            var ex = await Record.ExceptionAsync(() =>
                TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-perm", ReadWrite, new TesseraAgentRegistrationOptions { KeyFile = keyFile, BrokerHandler = counter }));

            Assert.Empty(counter.Seen);
            var refused = Assert.IsType<TesseraConfigurationException>(ex);
            Assert.Equal("key_file_too_open", refused.ErrorCode);
            Assert.Contains("chmod 600", refused.Message, StringComparison.Ordinal);
            Assert.Equal(mode, File.GetUnixFileMode(keyFile));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RegisterAsync_RefusesABrokerUrlWithUserInfo_WithoutPrintingIt()
    {
        string keyFile = Path.Combine(Path.GetTempPath(), "tessera-key-" + Guid.NewGuid().ToString("N"));
        var url = new UriBuilder(env.BrokerUrl) { UserName = "operator", Password = "hunter2-broker-password" }.Uri;

        var ex = await Record.ExceptionAsync(() =>
            TesseraAgent.RegisterAsync(url, "launch", "orch-1", "task-1", ReadWrite, new TesseraAgentRegistrationOptions { KeyFile = keyFile }));

        var refused = Assert.IsType<TesseraConfigurationException>(ex);
        Assert.Equal("broker_url_has_credentials", refused.ErrorCode);
        Assert.DoesNotContain("hunter2", refused.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public async Task RegisterAsync_ThrowsConfiguration_WhenTheKeyFileIsNotAKey()
    {
        string keyFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(keyFile, "not a key");
            string launch = await env.Broker.LaunchTokenAsync();

            await Assert.ThrowsAsync<TesseraConfigurationException>(() =>
                TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-1", ReadWrite, new TesseraAgentRegistrationOptions { KeyFile = keyFile }));
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task RegisterAsync_ThrowsTheBrokersProblem_WhenTheLaunchTokenWasUsed()
    {
        string launch = await env.Broker.LaunchTokenAsync();
        using var agent = await TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-1", ReadWrite);

        var ex = await Assert.ThrowsAsync<TesseraException>(() => TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-2", ReadWrite));

        Assert.Equal("unauthorized", ex.ErrorCode);
        Assert.Equal(401, ex.Status);
        Assert.Contains("launch token already consumed", ex.Message, StringComparison.Ordinal);
        Assert.Equal("launch tokens are single-use; ask the operator for a new one", ex.Hint);
        Assert.Equal(LoopbackBroker.Issuer + "/docs/errors.md#unauthorized", ex.DocsUrl);
        Assert.Matches("^[0-9a-f-]{8,}", ex.RequestId);
        Assert.Null(ex.RetryAfter);
    }

    [Fact]
    public async Task RegisterAsync_RefusesPlainHttpToARemoteBroker_BeforeMakingAKey()
    {
        string keyFile = Path.Combine(Path.GetTempPath(), "tessera-key-" + Guid.NewGuid().ToString("N"));

        await Assert.ThrowsAsync<TesseraConfigurationException>(() =>
            TesseraAgent.RegisterAsync(new Uri("http://broker.example.com"), "launch", "orch-1", "task-1", ReadWrite, new TesseraAgentRegistrationOptions { KeyFile = keyFile }));

        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public async Task Handler_ThrowsRevoked_AfterOneFailedRenewal_WhenTheAgentIsRevoked()
    {
        var counter = new BrokerCallCounter();
        using var agent = await RegisterAsync(new TesseraAgentRegistrationOptions { BrokerHandler = counter });
        using var client = env.ClientFor(agent);
        string token = await agent.GetTokenAsync();
        using (var warm = await client.GetAsync("orders"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await env.Broker.RevokeAgentAsync(agent.AgentId);
        await Wait.UntilPlatformRefusesAsync(env.Platform, token);

        var ex = await Assert.ThrowsAsync<TesseraRevokedException>(() => client.GetAsync("orders"));

        Assert.Equal(403, ex.Status);
        Assert.Contains("revoked", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Reached(token));
        Assert.Equal(1, counter["/v1/token/renew"]);

        // Nothing is left to renew: the next call fails at once, without the broker or the platform.
        await Assert.ThrowsAsync<TesseraRevokedException>(() => client.GetAsync("orders"));
        Assert.Equal(2, Reached(token));
        Assert.Equal(1, counter["/v1/token/renew"]);
    }

    [Fact]
    public async Task DelegateAsync_GivesASubAgentATokenItUsesThroughTheSameHandler()
    {
        using var agent = await RegisterAsync();
        using var sub = await RegisterAsync(scopes: ["orders:read"]);

        var delegated = await agent.DelegateAsync(sub.AgentId, ["orders:read"], TimeSpan.FromMinutes(2));
        using var client = env.ClientFor(delegated);
        using var read = await client.GetAsync("orders");
        using var write = await client.PostAsJsonAsync("orders", new { item = "not delegated" });

        Assert.Equal(sub.AgentId, delegated.AgentId);
        Assert.InRange(delegated.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(100), DateTimeOffset.UtcNow.AddSeconds(121));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(sub.AgentId, (await read.Content.ReadFromJsonAsync<JsonObject>())!["agent"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    [Fact]
    public async Task DelegatedTokenFromToken_WorksInAnotherProcessesHandler()
    {
        using var agent = await RegisterAsync();
        using var sub = await RegisterAsync(scopes: ["orders:read"]);
        var delegated = await agent.DelegateAsync(sub.AgentId, ["orders:read"], TimeSpan.FromMinutes(2));

        var received = DelegatedToken.FromToken(delegated.Token);
        using var client = env.ClientFor(received);
        using var read = await client.GetAsync("orders");

        Assert.Equal(sub.AgentId, received.AgentId);
        Assert.Equal(delegated.ExpiresAt.ToUnixTimeSeconds(), received.ExpiresAt.ToUnixTimeSeconds(), tolerance: 1);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Throws<TesseraConfigurationException>(() => DelegatedToken.FromToken("not-a-jwt"));
    }

    [Fact]
    public async Task DelegateAsync_ThrowsScopeViolation_WhenAskingForMoreThanTheAgentHas()
    {
        using var agent = await RegisterAsync(scopes: ["orders:read"]);
        using var sub = await RegisterAsync(scopes: ["orders:read"]);

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.DelegateAsync(sub.AgentId, ["orders:write"], TimeSpan.FromMinutes(1)));

        Assert.Equal("scope_violation", ex.ErrorCode);
        Assert.Equal(403, ex.Status);
        Assert.NotNull(ex.Hint);
    }

    [Fact]
    public async Task ReleaseAsync_EndsTheToken_AndTheAgentGetsNoOther()
    {
        using var agent = await RegisterAsync();
        string token = await agent.GetTokenAsync();

        await agent.ReleaseAsync();

        await Wait.UntilPlatformRefusesAsync(env.Platform, token);
        await Assert.ThrowsAsync<TesseraRevokedException>(() => agent.GetTokenAsync().AsTask());
    }

    private async Task<TesseraAgent> RegisterAsync(TesseraAgentRegistrationOptions? options = null, string[]? scopes = null)
    {
        string launch = await env.Broker.LaunchTokenAsync();
        return await TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-" + Guid.NewGuid().ToString("N")[..8], scopes ?? ReadWrite, options);
    }

    private int Reached(string token) =>
        env.Platform.Requests.Count(r => r.Path == "/orders" && r.Authorization == "Bearer " + token && !r.Headers.ContainsKey(Wait.ProbeHeader));
}
