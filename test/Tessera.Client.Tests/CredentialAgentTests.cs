using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>An agent with a key id and secret, against a real broker and the orders platform over loopback.</summary>
public sealed class CredentialAgentTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    [Fact]
    public async Task Handler_MintsOneToken_When1000ConcurrentFirstCallsArrive()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);
        using var client = env.ClientFor(agent);

        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => client.GetAsync("orders")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, counter["/v1/token"]);
        Assert.Equal(1, counter["/v1/platforms/me"]);
        Assert.Equal(1, agent.TokensMinted);
        await Wait.UntilAsync(async () => await env.Broker.AuditCountAsync("token_exchanged", info.AgentId) >= 1, "the exchange's audit event");
        Assert.Equal(1, await env.Broker.AuditCountAsync("token_exchanged", info.AgentId));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Handler_ThrowsRevoked_AfterOneFailedRefresh_WhenTheAgentIsRevoked()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);
        using var client = env.ClientFor(agent);
        using (var warm = await client.GetAsync("orders"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await env.Broker.RevokeCredentialAgentAsync(info.KeyId);
        await Wait.UntilPlatformRefusesAsync(env.Platform, await agent.GetTokenAsync(LoopbackBroker.Platform));
        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);
        int before = Reached(token);

        var ex = await Assert.ThrowsAsync<TesseraRevokedException>(() => client.GetAsync("orders"));

        Assert.Equal("agent_revoked", ex.ErrorCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Equal(1, Reached(token) - before);
        Assert.Equal(2, counter["/v1/token"]);

        // The revoked token is gone: the next call asks the broker once more and never reaches the platform.
        await Assert.ThrowsAsync<TesseraRevokedException>(() => client.GetAsync("orders"));
        Assert.Equal(1, Reached(token) - before);
        Assert.Equal(3, counter["/v1/token"]);
    }

    [Fact]
    public async Task Handler_DoesNotRetryAPostWithoutIdempotencyKey_AndRetriesOneWithAKeyOnce_WhenTheTokenIsRevoked()
    {
        var info = await env.Broker.CreateCredentialAgentAsync();
        using var agent = env.CredentialAgent(info);
        using var client = env.ClientFor(agent);

        string first = await RevokeCurrentTokenAsync(agent, client);
        using (var refused = await client.PostAsJsonAsync("orders", new { item = "no key" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.Equal(1, Reached(first, "POST"));

        // The refused token was replaced in the background; the next call uses its successor.
        await Wait.UntilAsync(async () => await agent.GetTokenAsync(LoopbackBroker.Platform) != first, "the refused token to be replaced");
        string second = await RevokeCurrentTokenAsync(agent, client);
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "orders") { Content = JsonContent.Create(new { item = "keyed" }) };
        keyed.Headers.Add("Idempotency-Key", "order-7");
        using (var created = await client.SendAsync(keyed))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var posts = env.Platform.Requests.Where(r => r.Method == "POST" && r.Headers.GetValueOrDefault("Idempotency-Key") == "order-7").ToList();
        Assert.Equal([401, 201], posts.Select(p => p.Status));
        Assert.Equal("Bearer " + second, posts[0].Authorization);
        Assert.NotEqual(posts[0].Authorization, posts[1].Authorization);
    }

    [Fact]
    public async Task Handler_SendsTheSecretOnlyToTheBroker_AndOnlyABearerTokenToThePlatform()
    {
        var info = await env.Broker.CreateCredentialAgentAsync();
        using var agent = env.CredentialAgent(info);
        using var client = env.ClientFor(agent);

        using (var read = await client.GetAsync("orders"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var write = await client.PostAsJsonAsync("orders", new { item = "widget" }))
        {
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        }

        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);
        var seen = env.Platform.Requests.Where(r => r.Authorization == "Bearer " + token).ToList();
        Assert.Equal(2, seen.Count);
        foreach (var request in seen)
        {
            Assert.All(request.Headers.Values, v => Assert.DoesNotContain(info.Secret, v, StringComparison.Ordinal));
            Assert.All(request.Headers.Values, v => Assert.DoesNotContain("Basic", v, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Handler_ChoosesThePlatformByHost_AndRefusesAHostNoPlatformServes()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        using var agent = env.CredentialAgent(info);
        int port = env.Platform.BaseAddress.Port;
        var options = new TesseraHandlerOptions();
        options.AllowedOrigins.Add(new Uri($"http://localhost:{port}"));
        using var client = env.ClientFor(agent, options);

        using (var byName = await client.GetAsync($"http://localhost:{port}/orders"))
        {
            Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
        }

        // 127.0.0.2 is loopback (plain http is fine) but no platform of this agent lists it.
        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync($"http://127.0.0.2:{port}/orders"));
        Assert.Contains("127.0.0.2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_RefusalNamesTheOptionAndTheKnownHostNames_WhenThePlatformRunsOnAnotherPort()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        using var agent = env.CredentialAgent(info);
        int before = env.Platform.Requests.Count;

        // The README's first attempt: host 127.0.0.1 is registered, but the platform listens on a random port.
        using var client = new HttpClient(new TesseraTokenHandler(agent) { InnerHandler = ToPlatform() });
        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync(new Uri(env.Platform.BaseAddress, "orders")));

        Assert.Equal("origin_not_allowed", ex.ErrorCode);
        Assert.Contains($"add http://127.0.0.1:{env.Platform.BaseAddress.Port} to TesseraHandlerOptions.AllowedOrigins", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TesseraHandlerOptions.Audience", ex.Message, StringComparison.Ordinal);
        Assert.Contains("orders-api (127.0.0.1, localhost, orders.internal)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, env.Platform.Requests.Count);

        // Listed, but under a host name no platform registered: the fix is the explicit audience.
        var options = new TesseraHandlerOptions { AllowedOrigins = { new Uri($"http://127.0.0.2:{env.Platform.BaseAddress.Port}") } };
        using var unnamed = new HttpClient(new TesseraTokenHandler(agent, options) { InnerHandler = ToPlatform() });
        var listed = await Assert.ThrowsAsync<TesseraConfigurationException>(() => unnamed.GetAsync($"http://127.0.0.2:{env.Platform.BaseAddress.Port}/orders"));
        Assert.Contains("Set TesseraHandlerOptions.Audience", listed.Message, StringComparison.Ordinal);

        options.Audience = LoopbackBroker.Platform;
        using var explicitAudience = new HttpClient(new TesseraTokenHandler(agent, options) { InnerHandler = ToPlatform() });
        using var response = await explicitAudience.GetAsync($"http://127.0.0.2:{env.Platform.BaseAddress.Port}/orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Handler_RefusesPlainHttpToARemoteHost_UnlessAllowed()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        using var agent = env.CredentialAgent(info);
        int port = env.Platform.BaseAddress.Port;
        int before = env.Platform.Requests.Count;

        var origin = new Uri($"http://orders.internal:{port}");
        using var strict = new HttpClient(new TesseraTokenHandler(agent, new TesseraHandlerOptions { AllowedOrigins = { origin } }) { InnerHandler = ToPlatform() });
        await Assert.ThrowsAsync<TesseraConfigurationException>(() => strict.GetAsync($"http://orders.internal:{port}/orders"));
        Assert.Equal(before, env.Platform.Requests.Count);

        using var lenient = new HttpClient(new TesseraTokenHandler(agent, new TesseraHandlerOptions { AllowInsecureHttp = true, AllowedOrigins = { origin } }) { InnerHandler = ToPlatform() });
        using var response = await lenient.GetAsync($"http://orders.internal:{port}/orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Handler_SendsTheToken_ToARegisteredHostNameOnItsDefaultPort_WithoutListingIt()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        using var agent = env.CredentialAgent(info);
        int before = env.Platform.Requests.Count;

        // orders.internal is a registered host name of orders-api: http://orders.internal means port 80.
        using var client = new HttpClient(new TesseraTokenHandler(agent, new TesseraHandlerOptions { AllowInsecureHttp = true }) { InnerHandler = ToPlatform() });
        using var response = await client.GetAsync("http://orders.internal/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before + 1, env.Platform.Requests.Count);
        var ex = await Assert.ThrowsAsync<TesseraConfigurationException>(() => client.GetAsync("http://orders.internal:8080/orders"));
        Assert.Equal("origin_not_allowed", ex.ErrorCode);
        Assert.Equal(before + 1, env.Platform.Requests.Count);
    }

    [Fact]
    public void Constructor_RefusesPlainHttpToARemoteBroker_UnlessAllowed()
    {
        var options = new TesseraCredentialOptions { BrokerUrl = new Uri("http://broker.example.com"), KeyId = "tsr_kid_x", Secret = "tsr_sk_x" };
        Assert.Throws<TesseraConfigurationException>(() => new TesseraCredentialAgent(options));

        options.AllowInsecureHttp = true;
        using var agent = new TesseraCredentialAgent(options);
        Assert.Equal("tsr_kid_x", agent.KeyId);
    }

    [Theory]
    [InlineData("https://operator:hunter2-broker-password@broker.example.com")]
    [InlineData("https://hunter2-broker-password@broker.example.com/tessera")]
    public async Task Constructor_RefusesABrokerUrlWithUserInfo_WithoutPrintingIt(string url)
    {
        var options = new TesseraCredentialOptions { BrokerUrl = new Uri(url), KeyId = "tsr_kid_x", Secret = "tsr_sk_x" };

        // Built, the old agent kept the user info and printed it in every error.
        var ex = await Record.ExceptionAsync(async () =>
        {
            using var agent = new TesseraCredentialAgent(options);
            await agent.GetTokenAsync(LoopbackBroker.Platform);
        });

        var refused = Assert.IsType<TesseraConfigurationException>(ex);
        Assert.Equal("broker_url_has_credentials", refused.ErrorCode);
        Assert.DoesNotContain("hunter2", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadPlatformsAsync_SendsTheSecretOnlyInTheAuthorizationHeader()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);

        var platforms = await agent.LoadPlatformsAsync();

        Assert.Equal(LoopbackBroker.Platform, platforms["127.0.0.1"]);
        var call = Assert.Single(counter.Seen, c => c.Path == "/v1/platforms/me");
        Assert.Equal("Basic", call.AuthorizationScheme);
        Assert.DoesNotContain(info.Secret, call.Body, StringComparison.Ordinal);
        Assert.Equal("", call.Body);
    }

    [Fact]
    public void Constructor_RefusesABrokerHandlerThatFollowsRedirects()
    {
        using var follows = new SocketsHttpHandler();
        var options = new TesseraCredentialOptions { BrokerUrl = env.BrokerUrl, KeyId = "tsr_kid_x", Secret = "tsr_sk_x", BrokerHandler = new BrokerCallCounterOver(follows) };

        var ex = Assert.Throws<TesseraConfigurationException>(() => new TesseraCredentialAgent(options));
        Assert.Contains("AllowAutoRedirect", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_FillsOnlyWhatIsUnset()
    {
        string?[] saved = [.. Variables.Select(Environment.GetEnvironmentVariable)];
        try
        {
            Environment.SetEnvironmentVariable("TESSERA_BROKER", "https://broker.example.com");
            Environment.SetEnvironmentVariable("TESSERA_AGENT_KEY_ID", "tsr_kid_env");
            Environment.SetEnvironmentVariable("TESSERA_AGENT_SECRET", "tsr_sk_env");

            var options = new TesseraCredentialOptions { KeyId = "tsr_kid_given" }.FromEnvironment();

            Assert.Equal(new Uri("https://broker.example.com"), options.BrokerUrl);
            Assert.Equal("tsr_kid_given", options.KeyId);
            Assert.Equal("tsr_sk_env", options.Secret);
            Environment.SetEnvironmentVariable("TESSERA_BROKER", "not a url");
            Assert.Throws<TesseraConfigurationException>(() => new TesseraCredentialOptions().FromEnvironment());
        }
        finally
        {
            for (int i = 0; i < Variables.Length; i++)
            {
                Environment.SetEnvironmentVariable(Variables[i], saved[i]);
            }
        }
    }

    private static readonly string[] Variables = ["TESSERA_BROKER", "TESSERA_AGENT_KEY_ID", "TESSERA_AGENT_SECRET"];

    [Fact]
    public void Constructor_RequiresKeyIdSecretAndBroker()
    {
        Assert.Throws<TesseraConfigurationException>(() => new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = env.BrokerUrl, KeyId = "tsr_kid_x" }));
    }

    [Fact]
    public async Task GetTokenAsync_ThrowsTheBrokersError_WhenTheSecretIsWrong()
    {
        var info = await env.Broker.CreateCredentialAgentAsync();
        using var agent = env.CredentialAgent(info with { Secret = info.Secret[..^4] + "AAAA" });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.Equal(401, ex.Status);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Equal(LoopbackBroker.Issuer + "/docs/errors.md#invalid-client", ex.DocsUrl);
        Assert.DoesNotContain(info.Secret[..^4], ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTesseraAgent_AttachesTokens_ToAFactoryClient()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var services = new ServiceCollection();
        services.AddTesseraCredentialAgent(o =>
        {
            o.BrokerUrl = env.BrokerUrl;
            o.KeyId = info.KeyId;
            o.Secret = info.Secret;
        });
        services.AddHttpClient("orders", c => c.BaseAddress = env.Platform.BaseAddress).AddTesseraAgent(o => o.AllowedOrigins.Add(env.Platform.BaseAddress));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("orders");

        using var response = await client.GetAsync("orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        Assert.Equal(info.AgentId, body["agent"]!.GetValue<string>());
        Assert.Equal(1, provider.GetRequiredService<TesseraCredentialAgent>().TokensMinted);
    }

    /// <summary>Revokes the agent's current token at the broker and waits until the platform refuses it.</summary>
    private async Task<string> RevokeCurrentTokenAsync(TesseraCredentialAgent agent, HttpClient client)
    {
        using (var warm = await client.GetAsync("orders"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        string token = await agent.GetTokenAsync(LoopbackBroker.Platform);
        await env.Broker.AdminAsync(HttpMethod.Post, "/v1/revoke", new { level = "token", target = Wait.Payload(token)["jti"]!.GetValue<string>(), reason = "test" });
        await Wait.UntilPlatformRefusesAsync(env.Platform, token);
        return token;
    }

    /// <summary>Requests the SDK sent to the platform with <paramref name="token"/> (the test's own probes left out).</summary>
    private int Reached(string token, string method = "GET") =>
        env.Platform.Requests.Count(r => r.Method == method && r.Path == "/orders" && r.Authorization == "Bearer " + token && !r.Headers.ContainsKey(Wait.ProbeHeader));

    /// <summary>Connects every request to the platform's port, whatever the host name says.</summary>
    private SocketsHttpHandler ToPlatform() => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, env.Platform.BaseAddress.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private sealed class BrokerCallCounterOver(HttpMessageHandler inner) : DelegatingHandler(inner);
}
