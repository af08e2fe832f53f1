namespace Tessera.Client.Tests.Infrastructure;

/// <summary>A broker and the orders platform (registered at the broker, served at 127.0.0.1), shared by the tests of a class.</summary>
public class SdkEnvironment : IAsyncLifetime
{
    public LoopbackBroker Broker { get; private set; } = null!;

    public OrdersPlatform Platform { get; private set; } = null!;

    public Uri BrokerUrl => Broker.BaseAddress;

    protected virtual IReadOnlyDictionary<string, string?>? BrokerSettings => null;

    protected virtual TimeSpan? PlatformClockSkew => null;

    public async Task InitializeAsync()
    {
        Broker = await LoopbackBroker.StartAsync(BrokerSettings);
        await Broker.CreatePlatformAsync();
        Platform = await OrdersPlatform.StartAsync(Broker, PlatformClockSkew);
    }

    public async Task DisposeAsync()
    {
        await Platform.DisposeAsync();
        await Broker.DisposeAsync();
    }

    /// <summary>
    /// A client for the platform whose handler takes tokens from <paramref name="provider"/>. The
    /// platform's origin (127.0.0.1 on a random port) is listed in <see cref="TesseraHandlerOptions.AllowedOrigins"/>:
    /// the broker knows its host name only, which stands for the default ports.
    /// </summary>
    public HttpClient ClientFor(ITesseraTokenProvider provider, TesseraHandlerOptions? options = null)
    {
        options ??= new TesseraHandlerOptions();
        options.AllowedOrigins.Add(Platform.BaseAddress);
        return new(new TesseraTokenHandler(provider, options) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = Platform.BaseAddress };
    }

    /// <summary>A credential agent over this broker, counting its broker calls in <paramref name="counter"/>.</summary>
    public TesseraCredentialAgent CredentialAgent(CredentialAgentInfo info, BrokerCallCounter? counter = null, TimeProvider? time = null) =>
        new(new TesseraCredentialOptions
        {
            BrokerUrl = BrokerUrl,
            KeyId = info.KeyId,
            Secret = info.Secret,
            BrokerHandler = counter,
            TimeProvider = time ?? TimeProvider.System,
        });
}
