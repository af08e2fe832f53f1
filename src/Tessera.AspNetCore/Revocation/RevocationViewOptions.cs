namespace Tessera.AspNetCore.Revocation;

/// <summary>Settings of one <see cref="RevocationView"/>; the scheme fills them from its options.</summary>
public sealed class RevocationViewOptions
{
    /// <summary>Default of <see cref="MaxEntries"/>.</summary>
    public const int DefaultMaxEntries = 500_000;

    /// <summary>
    /// The verifier's leeway on <c>exp</c>: an entry stays live until its <c>expires_at</c> plus
    /// this, because the token it matches is still accepted that long. Default 30 s.
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most entries held. When the feed brings a new entry and the view is full of live ones, the
    /// view stops applying (and logs once); it goes stale and the staleness rule decides. Default 500,000.
    /// </summary>
    public int MaxEntries { get; set; } = DefaultMaxEntries;

    /// <summary>The platform's client id, sent as HTTP Basic with <see cref="ClientSecret"/> on the poll and the stream.</summary>
    public string? ClientId { get; set; }

    /// <summary>The platform's client secret. Never logged.</summary>
    public string? ClientSecret { get; set; }
}
