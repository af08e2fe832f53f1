using System.Net;
using Microsoft.AspNetCore.Http;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>
/// Issue 18.2: a token goes only to an origin (scheme, host, port) of its platform. A second Kestrel
/// app on loopback plays the foreign host: it records what it receives and answers 401, which on the
/// old handler both leaked the token and forced a renewal (revoking the token in use elsewhere).
/// </summary>
public sealed class ForeignOriginTests(SdkEnvironment env) : IClassFixture<SdkEnvironment>
{
    private static readonly string[] ReadWrite = ["orders:read", "orders:write"];

    [Fact]
    public async Task Handler_SendsNoTokenAndRenewsNothing_WhenARegisteredAgentCallsAForeignHost()
    {
        await using var foreign = await StubServer.StartAsync(Unauthorized);
        var counter = new BrokerCallCounter();
        using var agent = await RegisterAsync(counter);
        string token = await agent.GetTokenAsync();
        using var client = new HttpClient(new TesseraTokenHandler(agent) { InnerHandler = new SocketsHttpHandler() });

        var ex = await Record.ExceptionAsync(() => client.GetAsync(new Uri(foreign.BaseAddress, "orders")));

        Assert.All(foreign.Requests, r => Assert.Null(r.Authorization));
        Assert.Equal(0, counter["/v1/token/renew"]);
        Assert.Equal(1, agent.TokensMinted);
        Assert.Equal(LoopbackBroker.Platform, agent.Audience);
        var refused = Assert.IsType<TesseraConfigurationException>(ex);
        Assert.Equal("origin_not_allowed", refused.ErrorCode);
        Assert.DoesNotContain(token, refused.ToString(), StringComparison.Ordinal);

        // The platform still gets the same token.
        using var legit = env.ClientFor(agent);
        using var response = await legit.GetAsync("orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + token, env.Platform.Requests.Last(r => r.Path == "/orders").Authorization);
        Assert.Equal(0, counter["/v1/token/renew"]);
    }

    [Fact]
    public async Task Handler_SendsNoToken_AndTheTokenStaysUsable_WhenADelegatedTokenCallsAForeignHost()
    {
        await using var foreign = await StubServer.StartAsync(Unauthorized);
        using var agent = await RegisterAsync();
        using var sub = await RegisterAsync(scopes: ["orders:read"]);
        var delegated = await agent.DelegateAsync(sub.AgentId, ["orders:read"], TimeSpan.FromMinutes(2));
        var received = DelegatedToken.FromToken(delegated.Token);
        using var client = new HttpClient(new TesseraTokenHandler(received) { InnerHandler = new SocketsHttpHandler() });

        var ex = await Record.ExceptionAsync(() => client.GetAsync(new Uri(foreign.BaseAddress, "orders")));

        Assert.All(foreign.Requests, r => Assert.Null(r.Authorization));
        Assert.Equal("origin_not_allowed", Assert.IsType<TesseraConfigurationException>(ex).ErrorCode);
        Assert.Equal(LoopbackBroker.Platform, received.Audience);

        // The foreign 401 did not mark the delegated token refused: the platform still accepts it.
        using var legit = env.ClientFor(received);
        using var response = await legit.GetAsync("orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + delegated.Token, env.Platform.Requests.Last(r => r.Path == "/orders").Authorization);
    }

    [Fact]
    public async Task Handler_SendsNoTokenAndMintsNothing_WhenACredentialAgentCallsItsPlatformsHostOnAnotherPort()
    {
        // The foreign app listens on 127.0.0.1, a host name of orders-api, but on another port.
        await using var foreign = await StubServer.StartAsync(Unauthorized);
        Assert.Equal(env.Platform.BaseAddress.Host, foreign.BaseAddress.Host);
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);
        using var client = new HttpClient(new TesseraTokenHandler(agent) { InnerHandler = new SocketsHttpHandler() });

        var ex = await Record.ExceptionAsync(() => client.GetAsync(new Uri(foreign.BaseAddress, "orders")));

        Assert.All(foreign.Requests, r => Assert.Null(r.Authorization));
        Assert.Equal(0, counter["/v1/token"]);
        var refused = Assert.IsType<TesseraConfigurationException>(ex);
        Assert.Equal("origin_not_allowed", refused.ErrorCode);
        Assert.Contains(foreign.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);

        using var legit = env.ClientFor(agent);
        using var response = await legit.GetAsync("orders");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, counter["/v1/token"]);
    }

    [Fact]
    public async Task Handler_ReturnsTheForeign401WithoutRenewing_WhenAListedOriginRedirectsElsewhere()
    {
        await using var foreign = await StubServer.StartAsync(Unauthorized);
        await using var redirecting = await StubServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = new Uri(foreign.BaseAddress, "steal").ToString();
            return Task.CompletedTask;
        });
        var counter = new BrokerCallCounter();
        using var agent = await RegisterAsync(counter);
        string token = await agent.GetTokenAsync();
        var options = new TesseraHandlerOptions { AllowedOrigins = { redirecting.BaseAddress } };
        using var client = new HttpClient(new TesseraTokenHandler(agent, options) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = true } });

        using var response = await client.GetAsync(new Uri(redirecting.BaseAddress, "orders"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer " + token, Assert.Single(redirecting.Requests).Authorization);
        Assert.Null(Assert.Single(foreign.Requests).Authorization);
        Assert.Equal(0, counter["/v1/token/renew"]);
        Assert.Equal(token, await agent.GetTokenAsync());
    }

    private static Task Unauthorized(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    private async Task<TesseraAgent> RegisterAsync(BrokerCallCounter? counter = null, string[]? scopes = null)
    {
        string launch = await env.Broker.LaunchTokenAsync();
        return await TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-1", "task-" + Guid.NewGuid().ToString("N")[..8], scopes ?? ReadWrite, new TesseraAgentRegistrationOptions { BrokerHandler = counter });
    }
}
