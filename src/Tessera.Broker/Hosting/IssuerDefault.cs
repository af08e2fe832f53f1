namespace Tessera.Broker.Hosting;

/// <summary>What the broker may take as its issuer when none is configured (<c>TESSERA_ISSUER</c> / <c>issuer</c> unset).</summary>
public enum IssuerDefault
{
    /// <summary>
    /// Production (<c>tessera serve</c>): the first listen URL, only when it is a loopback address
    /// (<c>127.0.0.0/8</c>, <c>::1</c>, <c>localhost</c>); any other address refuses to start.
    /// </summary>
    LoopbackListenUrl,

    /// <summary>
    /// Development (<c>tessera dev</c>): the first listen URL, whatever its host, unless it listens on
    /// every interface (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>), which names no host.
    /// </summary>
    AnyListenUrl,
}
