using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.Broker.Hosting;

/// <summary>
/// Builds the broker as <c>tessera serve</c> and <c>tessera dev</c> run it: <see cref="BrokerApplication"/>
/// with the storage providers of <see cref="StorageProvider.All"/>, the one picked being the one
/// <c>TESSERA_DB</c> names.
/// </summary>
public static class BrokerHost
{
    /// <summary>Rate-limit policy of the unauthenticated endpoints.</summary>
    public const string PublicRateLimitPolicy = BrokerApplication.PublicRateLimitPolicy;

    /// <summary>
    /// Builds the broker. Configuration, lowest precedence first: <paramref name="configFile"/>
    /// (JSON, flat snake_case keys), environment variables prefixed <c>TESSERA_</c>, then
    /// <paramref name="overrides"/>.
    /// </summary>
    /// <remarks>
    /// With no issuer configured, the issuer is the first of <paramref name="urls"/> as
    /// <paramref name="issuerDefault"/> allows; with port 0, the port Kestrel bound, before any
    /// request is answered.
    /// </remarks>
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static WebApplication Build(
        IEnumerable<string> urls,
        string? configFile = null,
        IReadOnlyDictionary<string, string?>? overrides = null,
        TimeProvider? timeProvider = null,
        Action<ILoggingBuilder>? configureLogging = null,
        IssuerDefault issuerDefault = IssuerDefault.LoopbackListenUrl) =>
        BrokerApplication.Build(urls, configFile, overrides, timeProvider, configureLogging, issuerDefault, StorageProvider.All);
}
