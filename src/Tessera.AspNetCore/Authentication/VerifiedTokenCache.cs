using System.Collections.Concurrent;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// Tokens already verified, keyed by the exact token string, kept until their <c>exp</c>: a
/// token seen before skips parsing and signature work. Bounded: when full it is emptied (an
/// O(1) amortised policy that cannot be steered into evicting chosen entries). Revocation and
/// scope are still checked on every request; only the verification result is reused.
/// </summary>
public sealed class VerifiedTokenCache(int capacity)
{
    private readonly ConcurrentDictionary<string, AccessTokenClaims> _entries = new(StringComparer.Ordinal);

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>The cached claims of <paramref name="token"/> if it is cached and not past <c>exp</c> (plus leeway) at <paramref name="nowSeconds"/>.</summary>
    public bool TryGet(string token, long nowSeconds, long leewaySeconds, out AccessTokenClaims? claims)
    {
        if (capacity > 0 && _entries.TryGetValue(token, out claims))
        {
            if (claims.ExpiresAt > nowSeconds - leewaySeconds)
            {
                return true;
            }

            _entries.TryRemove(token, out _);
        }

        claims = null;
        return false;
    }

    /// <summary>Remembers a verified token.</summary>
    public void Add(string token, AccessTokenClaims claims)
    {
        if (capacity <= 0)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries[token] = claims;
    }
}
