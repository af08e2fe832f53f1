namespace Tessera.Broker.Health;

/// <summary>When this broker process started.</summary>
internal sealed class BrokerClock(TimeProvider time)
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public TimeSpan Uptime => time.GetUtcNow() - _started;
}
