using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// The RS256 key of the <c>mudraid</c> token profile, published in the JWKS beside the broker's
/// default key. When the broker already signs with RS256 it is the default ring itself; otherwise
/// it lives in its own file, created (once, under a lock) when the first platform on that profile
/// is registered, so a broker without such platforms never pays for an RSA key.
/// </summary>
public sealed class ProfileKeys
{
    private readonly SigningKeyRing _main;
    private readonly BrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private volatile SigningKeyRing? _rsa;

    /// <summary>Loads the profile key file if it exists.</summary>
    public ProfileKeys(SigningKeyRing main, IOptions<BrokerOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _main = main;
        _options = options.Value;
        _time = time;
        if (_options.Algorithm == SigningAlgorithm.RS256)
        {
            _rsa = main;
        }
        else if (File.Exists(_options.EffectiveProfileSigningKeyPath))
        {
            _rsa = SigningKeyFile.LoadOrCreate(_options.EffectiveProfileSigningKeyPath, SigningAlgorithm.RS256, time);
        }
    }

    /// <summary>The profile ring when it is separate from the default ring and exists.</summary>
    public SigningKeyRing? Separate => ReferenceEquals(_rsa, _main) ? null : _rsa;

    /// <summary>The RS256 ring, created on first use.</summary>
    public SigningKeyRing Rsa
    {
        get
        {
            if (_rsa is { } ring)
            {
                return ring;
            }

            lock (_gate)
            {
                return _rsa ??= SigningKeyFile.LoadOrCreate(_options.EffectiveProfileSigningKeyPath, SigningAlgorithm.RS256, _time);
            }
        }
    }
}
