namespace Tessera.AspNetCore.Keys;

/// <summary>Tuning of <see cref="JwksCache"/>.</summary>
public sealed class JwksCacheOptions
{
    /// <summary>How long fetched keys are fresh. Default 1 hour.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>After a fetch that taught nothing, no refetch for an unknown kid within this. Default 30 s.</summary>
    public TimeSpan UnknownKeyCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long past its refresh interval a cache may still serve while the broker cannot be reached. Default 24 h.</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Per-fetch timeout. Default 10 s.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest JWKS document accepted. Default 1 MB.</summary>
    public int MaxDocumentBytes { get; set; } = 1024 * 1024;
}
