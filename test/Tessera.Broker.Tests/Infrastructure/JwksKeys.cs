using System.Text.Json;
using Tessera.Keys;

namespace Tessera.Broker.Tests.Infrastructure;

/// <summary>The broker's published JWKS as a verifier would hold it: only public keys, looked up by kid.</summary>
public sealed class JwksKeys : IVerificationKeySource, IDisposable
{
    private readonly Dictionary<string, VerificationKey> _keys = new(StringComparer.Ordinal);

    private JwksKeys()
    {
    }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public static JwksKeys Parse(string jwks)
    {
        var result = new JwksKeys();
        using var document = JsonDocument.Parse(jwks);
        foreach (var jwk in document.RootElement.GetProperty("keys").EnumerateArray())
        {
            Assert.True(VerificationKey.TryFromJwk(jwk, out var key, out string? error), error);
            result._keys[key!.KeyId] = key;
        }

        return result;
    }

    public static async Task<JwksKeys> FetchAsync(BrokerFixture broker) =>
        Parse(await broker.Client.GetStringAsync("/.well-known/jwks.json"));

    public bool TryGetKey(string keyId, out VerificationKey? key) => _keys.TryGetValue(keyId, out key);

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }
}
