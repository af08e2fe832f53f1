using System.Collections.Concurrent;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// Tokens already verified, keyed by the exact token string, kept until their <c>exp</c>: a
/// token seen before skips parsing and signature work. Bounded: when full it is emptied (an
/// O(1) amortised policy that cannot be steered into evicting chosen entries). Revocation and
/// scope are still checked on every request; only the verification result is reused. When the
/// accepted issuers change, <see cref="Clear"/> empties it and moves <see cref="Generation"/>, so a
/// result reached under the previous issuers is never stored after the change.
/// </summary>
public sealed class VerifiedTokenCache(int capacity)
{
    private readonly ConcurrentDictionary<string, AccessTokenClaims> _entries = new(StringComparer.Ordinal);
    private long _generation;

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

    /// <summary>Moves at each <see cref="Clear"/>: read it before verifying, pass it to <see cref="Add(string, AccessTokenClaims, long)"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Remembers a verified token.</summary>
    public void Add(string token, AccessTokenClaims claims) => Add(token, claims, Generation);

    /// <summary>Remembers a token verified while <see cref="Generation"/> was <paramref name="generation"/>; dropped if a <see cref="Clear"/> came since.</summary>
    public void Add(string token, AccessTokenClaims claims, long generation)
    {
        if (capacity <= 0 || generation != Generation)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            _entries.Clear();
        }

        _entries[token] = claims;

        // A Clear that ran between the check and the write would miss this entry: take it back.
        if (generation != Generation)
        {
            _entries.TryRemove(token, out _);
        }
    }

    /// <summary>Forgets every token (the accepted issuers changed).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
