using System.Diagnostics;
using System.Net;
using Tessera.Client.Tests.Infrastructure;

namespace Tessera.Client.Tests;

/// <summary>A credential agent calling for 20 s with 3 s tokens: never a 401, no more mints than the refresh rule needs.</summary>
public sealed class CredentialAgentShortTtlTests(ShortTtlEnvironment env) : IClassFixture<ShortTtlEnvironment>
{
    [Fact]
    public async Task Handler_NeverSeesA401_AndMintsOnlyWhenDue_WhenTokensLiveThreeSeconds()
    {
        var info = await env.Broker.CreateCredentialAgentAsync(["orders:read"]);
        var counter = new BrokerCallCounter();
        using var agent = env.CredentialAgent(info, counter);
        using var client = env.ClientFor(agent);
        var watch = Stopwatch.StartNew();

        var statuses = await CallLoop.RunAsync(client);
        var elapsed = watch.Elapsed;

        Assert.Equal([HttpStatusCode.OK], statuses.Keys);
        Assert.DoesNotContain(env.Platform.Requests, r => r.Status == 401);
        var payload = Wait.Payload(env.Platform.Requests[^1].Authorization!["Bearer ".Length..]);
        Assert.Equal(ShortTtlEnvironment.TokenSeconds, payload["exp"]!.GetValue<long>() - payload["iat"]!.GetValue<long>());
        int minted = agent.TokensMinted;
        Assert.InRange(minted, CallLoop.FewestMints(elapsed, ShortTtlEnvironment.TokenSeconds), CallLoop.MostMints(elapsed, ShortTtlEnvironment.TokenSeconds));
        await Wait.UntilAsync(() => Task.FromResult(counter["/v1/token"] == agent.TokensMinted), "the last mint to reach the broker");
    }
}
