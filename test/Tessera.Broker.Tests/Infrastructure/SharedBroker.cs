namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>One broker shared by the tests of a class (tests that move the clock start their own).</summary>
public sealed class SharedBroker : IAsyncLifetime
{
    public BrokerFixture Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await BrokerFixture.StartAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
