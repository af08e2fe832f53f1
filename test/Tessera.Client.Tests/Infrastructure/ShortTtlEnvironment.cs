namespace Tessera.Client.Tests.Infrastructure;

/// <summary>
/// A broker whose ceiling makes every agent token live 3 s (exchanged ones included), and a
/// platform that allows no clock skew, so a token used past its expiry would be refused.
/// </summary>
public sealed class ShortTtlEnvironment : SdkEnvironment
{
    public const int TokenSeconds = 3;

    protected override IReadOnlyDictionary<string, string?> BrokerSettings => new Dictionary<string, string?>
    {
        ["max_ttl"] = TokenSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["default_ttl"] = TokenSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    protected override TimeSpan? PlatformClockSkew => TimeSpan.Zero;
}
