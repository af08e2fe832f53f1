using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Tessera.Keys;

/// <summary>Reads the public keys of a JWK set (RFC 7517 §5), one key per <c>kid</c>.</summary>
/// <remarks>
/// A member that is not a usable public key (see <see cref="VerificationKey.TryFromJwk"/>), or whose
/// algorithm is not the pinned one, is skipped rather than failing the set: a publisher may list keys
/// this reader does not use. When two keys share a <c>kid</c>, the later one wins. Once
/// <c>maxKeys</c> keys are kept, every later member is ignored, a repeated <c>kid</c> included.
/// </remarks>
public static class JsonWebKeySet
{
    /// <summary>
    /// The keys of <paramref name="set"/>; false, with an empty set and the reason in
    /// <paramref name="error"/>, when it is not an object with a <c>keys</c> array.
    /// </summary>
    /// <param name="set">The JWK set document's root element.</param>
    /// <param name="algorithm">Only keys of this algorithm are kept; null keeps every algorithm.</param>
    /// <param name="maxKeys">How many keys are kept at most.</param>
    /// <param name="keys">The keys kept, by <c>kid</c> (ordinal).</param>
    /// <param name="error">Why the set was refused; null when it was read.</param>
    public static bool TryParse(JsonElement set, SigningAlgorithm? algorithm, int maxKeys, out IReadOnlyDictionary<string, VerificationKey> keys, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeys);
        var kept = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
        keys = kept;
        if (set.ValueKind != JsonValueKind.Object || !set.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            error = "JWK set has no keys array";
            return false;
        }

        foreach (var jwk in array.EnumerateArray())
        {
            if (VerificationKey.TryFromJwk(jwk, out var key, out _) && key is not null &&
                (algorithm is null || key.Algorithm == algorithm) && kept.Count < maxKeys)
            {
                kept[key.KeyId] = key;
            }
        }

        error = null;
        return true;
    }

    /// <summary>
    /// The one key of <paramref name="set"/> a JWS header selects: the member whose <c>kid</c> is
    /// <paramref name="keyId"/> or, when the header names none, the set's only member. It must be the
    /// only member so selected, a usable public key (see <see cref="VerificationKey.TryFromJwk"/>) and of
    /// <paramref name="algorithm"/>; otherwise false, with a null key. Only the selected member is loaded.
    /// </summary>
    /// <remarks>The caller owns (and disposes) the key returned.</remarks>
    /// <param name="set">The JWK set document's root element.</param>
    /// <param name="keyId">The header's <c>kid</c>, or null when it has none.</param>
    /// <param name="algorithm">The algorithm the key must have (the header's <c>alg</c>).</param>
    /// <param name="key">The key selected; null when none qualifies.</param>
    public static bool TrySelect(JsonElement set, string? keyId, SigningAlgorithm algorithm, [NotNullWhen(true)] out VerificationKey? key)
    {
        key = null;
        if (set.ValueKind != JsonValueKind.Object || !set.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        JsonElement selected = default;
        int count = 0;
        foreach (var jwk in array.EnumerateArray())
        {
            if (keyId is null || (jwk.ValueKind == JsonValueKind.Object && jwk.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String && kid.ValueEquals(keyId)))
            {
                selected = jwk;
                count++;
            }
        }

        if (count != 1 || !VerificationKey.TryFromJwk(selected, out var loaded, out _) || loaded is null)
        {
            return false;
        }

        if (loaded.Algorithm != algorithm)
        {
            loaded.Dispose();
            return false;
        }

        key = loaded;
        return true;
    }
}
