namespace Tessera.AspNetCore.Keys;

/// <summary>The outcome of asking the JWKS cache for a key.</summary>
public enum JwksLookup
{
    /// <summary>The key is cached.</summary>
    Found,

    /// <summary>The JWKS is available but has no such key (even after the one allowed refetch).</summary>
    UnknownKey,

    /// <summary>No usable keys could be had at all.</summary>
    Unavailable,
}
