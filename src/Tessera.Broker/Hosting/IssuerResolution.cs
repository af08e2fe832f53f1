using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;

namespace Tessera.Broker.Hosting;

/// <summary>
/// Where the broker's issuer came from, and the gate that holds requests back until it is known.
/// A configured issuer, or one taken from a listen URL with a fixed port, is known before the host
/// starts; from a URL with port 0 it is known only once Kestrel has bound, and the first
/// middleware makes every request wait for it, so none is answered with a wrong <c>iss</c>.
/// </summary>
public sealed class IssuerResolution
{
    private readonly TaskCompletionSource _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BrokerOptions _options;

    internal IssuerResolution(IOptions<BrokerOptions> options, bool fromListenUrl, bool loopback)
    {
        _options = options.Value;
        FromListenUrl = fromListenUrl;
        IsLoopback = loopback;
    }

    /// <summary>The issuer every token carries (<see cref="BrokerOptions.Issuer"/>), final once <see cref="Resolved"/> has completed.</summary>
    public string Issuer => _options.Issuer;

    /// <summary>True when no issuer was configured and it was taken from the first listen URL.</summary>
    public bool FromListenUrl { get; }

    /// <summary>True when the issuer taken from the listen URL is a loopback address, reachable only from this machine.</summary>
    public bool IsLoopback { get; }

    /// <summary>Completes when the issuer is final.</summary>
    public Task Resolved => _resolved.Task;

    internal void Complete(string? boundIssuer)
    {
        if (boundIssuer is not null)
        {
            _options.Issuer = boundIssuer;
        }

        _resolved.TrySetResult();
    }
}
