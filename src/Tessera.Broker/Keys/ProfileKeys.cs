using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Keys;

namespace Tessera.Broker.Keys;

/// <summary>
/// The RS256 key of the <c>mudraid</c> token profile, published in the JWKS beside the broker's
/// default key. When the broker already signs with RS256 it is the default ring itself; otherwise
/// it lives in its own file (or, with replicas, its own ring in the shared database), created
/// (once, under a lock) when the first platform on that profile is registered, so a broker
/// without such platforms never pays for an RSA key.
/// </summary>
public sealed class ProfileKeys
{
    private readonly SigningKeyRing _main;
    private readonly BrokerOptions _options;
    private readonly ISigningKeyStorage _storage;
    private readonly Lock _gate = new();
    private volatile SigningKeyRing? _rsa;

    /// <summary>Loads the profile key ring if it exists.</summary>
    public ProfileKeys(SigningKeyRing main, IOptions<BrokerOptions> options, [FromKeyedServices(KeyRotation.ProfileRing)] ISigningKeyStorage storage)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        _main = main;
        _options = options.Value;
        _storage = storage;
        if (_options.Algorithm == SigningAlgorithm.RS256)
        {
            _rsa = main;
        }
        else if (storage.Exists)
        {
            _rsa = storage.LoadOrCreate(SigningAlgorithm.RS256);
        }
    }

    /// <summary>The profile ring when it is separate from the default ring and exists.</summary>
    public SigningKeyRing? Separate => ReferenceEquals(_rsa, _main) ? null : _rsa;

    /// <summary>Loads the ring when another replica created it since (the JWKS then publishes it here too); true when this call loaded it.</summary>
    public bool LoadIfStored()
    {
        if (_rsa is null && _storage.Exists)
        {
            lock (_gate)
            {
                if (_rsa is null)
                {
                    _rsa = _storage.LoadOrCreate(SigningAlgorithm.RS256);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Makes sure the RS256 ring exists; true when this call created or loaded it (so verifiers must hear of a new key).</summary>
    public bool EnsureExists()
    {
        if (_rsa is not null)
        {
            return false;
        }

        lock (_gate)
        {
            if (_rsa is not null)
            {
                return false;
            }

            _rsa = _storage.LoadOrCreate(SigningAlgorithm.RS256);
            return true;
        }
    }

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
                return _rsa ??= _storage.LoadOrCreate(SigningAlgorithm.RS256);
            }
        }
    }
}
