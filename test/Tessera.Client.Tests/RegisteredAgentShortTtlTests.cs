using System.Diagnostics;
using System.Net;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>A registered agent calling for 20 s with 3 s tokens: never a 401, no more renewals than the refresh rule needs.</summary>
public sealed class RegisteredAgentShortTtlTests(ShortTtlEnvironment env) : IClassFixture<ShortTtlEnvironment>
{
    [Fact]
    public async Task Handler_NeverSeesA401_AndRenewsOnlyWhenDue_WhenTokensLiveThreeSeconds()
    {
        string launch = await env.Broker.LaunchTokenAsync(["orders:read"], maxTtl: ShortTtlEnvironment.TokenSeconds);
        var counter = new BrokerCallCounter();
        var watch = Stopwatch.StartNew();
        using var agent = await TesseraAgent.RegisterAsync(env.BrokerUrl, launch, "orch-ttl", "task-ttl", ["orders:read"], new TesseraAgentRegistrationOptions { BrokerHandler = counter });
        using var client = env.ClientFor(agent);

        var statuses = await CallLoop.RunAsync(client);
        var elapsed = watch.Elapsed;

        Assert.Equal([HttpStatusCode.OK], statuses.Keys);
        Assert.DoesNotContain(env.Platform.Requests, r => r.Status == 401);
        var payload = Wait.Payload(env.Platform.Requests[^1].Authorization!["Bearer ".Length..]);
        Assert.Equal(ShortTtlEnvironment.TokenSeconds, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
        int minted = agent.TokensMinted;
        Assert.InRange(minted, CallLoop.FewestMints(elapsed, ShortTtlEnvironment.TokenSeconds), CallLoop.MostMints(elapsed, ShortTtlEnvironment.TokenSeconds));
        await Wait.UntilAsync(() => Task.FromResult(counter["/v1/token/renew"] == agent.TokensMinted - 1), "the last mint to reach the broker");
    }
}
