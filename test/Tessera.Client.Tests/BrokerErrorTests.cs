using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>How the SDK reads the broker's refusals, and what it refuses to do with a broker.</summary>
public sealed class BrokerErrorTests
{
    private static readonly TesseraHandlerOptions OrdersApi = new() { Audience = LoopbackBroker.Platform };

    [Fact]
    public async Task GetTokenAsync_NeverFollowsARedirect_AndTheSecretStaysWithTheBroker()
    {
        await using var elsewhere = await StubServer.StartAsync(context => context.Response.WriteAsync("{\"access_token\":\"stolen\",\"expires_in\":60}"));
        await using var broker = await StubServer.StartAsync(context =>
        {
            // No metadata: the agent falls back to /v1/token, which redirects.
            context.Response.StatusCode = context.Request.Path == "/.well-known/tessera-configuration" ? StatusCodes.Status404NotFound : StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = new Uri(elsewhere.BaseAddress, "v1/token").ToString();
            return Task.CompletedTask;
        });
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = "tsr_kid_0123", Secret = "tsr_sk_redirect-secret" });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("redirect_refused", ex.ErrorCode);
        Assert.Equal(307, ex.Status);
        Assert.Equal(["/.well-known/tessera-configuration", "/v1/token"], broker.Requests.Select(r => r.Path));
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task GetTokenAsync_RefusesARedirectedMetadataLookup_WithoutSendingTheSecret()
    {
        await using var elsewhere = await StubServer.StartAsync(context => context.Response.WriteAsync("{\"token_endpoint\":\"http://127.0.0.1:1/v1/token\"}"));
        await using var broker = await StubServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = new Uri(elsewhere.BaseAddress, ".well-known/tessera-configuration").ToString();
            return Task.CompletedTask;
        });
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = "tsr_kid_0123", Secret = "tsr_sk_redirect-secret" });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("redirect_refused", ex.ErrorCode);
        var request = Assert.Single(broker.Requests);
        Assert.Equal("/.well-known/tessera-configuration", request.Path);
        Assert.Null(request.Authorization);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task RegisterAsync_NeverFollowsARedirect()
    {
        await using var elsewhere = await StubServer.StartAsync(context => context.Response.WriteAsync("{\"nonce\":\"00\"}"));
        await using var broker = await StubServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = new Uri(elsewhere.BaseAddress, context.Request.Path.Value!.TrimStart('/')).ToString();
            return Task.CompletedTask;
        });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => TesseraAgent.RegisterAsync(broker.BaseAddress, "launch", "orch", "task", ["orders:read"]));

        Assert.Equal("redirect_refused", ex.ErrorCode);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task TesseraException_CarriesTheProblemFields_AndRetryAfter_WhenTheBrokerRateLimits()
    {
        await using var broker = await StubServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "7";
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync("""
                {"type":"urn:tessera:error:rate_limited","title":"Too Many Requests","status":429,"detail":"rate limit exceeded, try again later",
                 "error_code":"rate_limited","request_id":"req-429","hint":"wait 7 second(s) before retrying","docs_url":"http://tessera.test/docs/errors.md#rate-limited"}
                """);
        });
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = "tsr_kid_0123", Secret = "tsr_sk_x" });

        var ex = await Assert.ThrowsAsync<TesseraRateLimitedException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("rate_limited", ex.ErrorCode);
        Assert.Equal(429, ex.Status);
        Assert.Equal("req-429", ex.RequestId);
        Assert.Equal("wait 7 second(s) before retrying", ex.Hint);
        Assert.Equal("http://tessera.test/docs/errors.md#rate-limited", ex.DocsUrl);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Contains("rate limit exceeded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TesseraException_TakesTheRequestIdHeaderAndAStatusCode_WhenTheAnswerIsNotJson()
    {
        await using var broker = await StubServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 502;
            context.Response.Headers["X-Request-ID"] = "req-from-header";
            await context.Response.WriteAsync("<html>bad gateway</html>");
        });
        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = "tsr_kid_0123", Secret = "tsr_sk_x" });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("http_502", ex.ErrorCode);
        Assert.Equal(502, ex.Status);
        Assert.Equal("req-from-header", ex.RequestId);
    }

    [Fact]
    public async Task TesseraException_SaysTheBrokerIsUnreachable_WithStatusZero()
    {
        int port;
        await using (var gone = await StubServer.StartAsync(_ => Task.CompletedTask))
        {
            port = gone.BaseAddress.Port;
        }

        using var agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = new Uri($"http://127.0.0.1:{port}"), KeyId = "tsr_kid_0123", Secret = "tsr_sk_x" });

        var ex = await Assert.ThrowsAsync<TesseraException>(() => agent.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal(0, ex.Status);
        Assert.Contains("cannot reach the broker", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealBroker_RateLimitsAnAgent_WithRetryAfterAndItsCode()
    {
        await using var broker = await LoopbackBroker.StartAsync(new Dictionary<string, string?> { ["agent_rate"] = "1", ["agent_burst"] = "1" });
        await broker.CreatePlatformAsync();
        var info = await broker.CreateCredentialAgentAsync(["orders:read"]);
        var options = new TesseraCredentialOptions { BrokerUrl = broker.BaseAddress, KeyId = info.KeyId, Secret = info.Secret };
        using var first = new TesseraCredentialAgent(options);
        using var second = new TesseraCredentialAgent(options);
        await first.GetTokenAsync(LoopbackBroker.Platform);

        var ex = await Assert.ThrowsAsync<TesseraRateLimitedException>(() => second.GetTokenAsync(LoopbackBroker.Platform).AsTask());

        Assert.Equal("rate_limited_agent", ex.ErrorCode);
        Assert.Equal(429, ex.Status);
        Assert.NotNull(ex.RetryAfter);
        Assert.InRange(ex.RetryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Equal(LoopbackBroker.Issuer + "/docs/errors.md#rate-limited-agent", ex.DocsUrl);
    }

    [Fact]
    public async Task Handler_SendsOnlyABearerToken_ToAStubPlatform()
    {
        await using var env = new StubPlatformEnvironment();
        await env.StartAsync();
        var options = new TesseraHandlerOptions { Audience = LoopbackBroker.Platform };
        options.AllowedOrigins.Add(env.Platform.BaseAddress);
        using var client = new HttpClient(new TesseraTokenHandler(env.Agent, options) { InnerHandler = new SocketsHttpHandler() });

        using var response = await client.PostAsync(new Uri(env.Platform.BaseAddress, "orders"), new StringContent("{}", Encoding.UTF8, "application/json"));

        var seen = Assert.Single(env.Platform.Requests);
        Assert.StartsWith("Bearer ey", seen.Authorization, StringComparison.Ordinal);
        Assert.All(seen.Headers.Values, v => Assert.DoesNotContain(env.Info.Secret, v, StringComparison.Ordinal));
        Assert.All(seen.Headers.Values, v => Assert.DoesNotContain(env.Info.KeyId, v, StringComparison.Ordinal));
    }

    /// <summary>A real broker with a credential agent, and a stub platform that records headers and answers 200.</summary>
    private sealed class StubPlatformEnvironment : IAsyncDisposable
    {
        public LoopbackBroker Broker { get; private set; } = null!;

        public StubServer Platform { get; private set; } = null!;

        public CredentialAgentInfo Info { get; private set; } = null!;

        public TesseraCredentialAgent Agent { get; private set; } = null!;

        public async Task StartAsync()
        {
            Broker = await LoopbackBroker.StartAsync();
            await Broker.CreatePlatformAsync();
            Info = await Broker.CreateCredentialAgentAsync();
            Platform = await StubServer.StartAsync(context => context.Response.WriteAsync("{}"));
            Agent = new TesseraCredentialAgent(new TesseraCredentialOptions { BrokerUrl = Broker.BaseAddress, KeyId = Info.KeyId, Secret = Info.Secret });
        }

        public async ValueTask DisposeAsync()
        {
            Agent.Dispose();
            await Platform.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}
