namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// Settings of <see cref="RouteScopesExtensions.UseTesseraRouteScopesFromBroker"/>. The broker, the
/// platform id and the platform's credentials come from the Tessera scheme's options
/// (<c>Authority</c>, <c>Audience</c>, <c>ClientId</c>, <c>ClientSecret</c>).
/// </summary>
public sealed class BrokerRouteScopesOptions
{
    /// <summary>
    /// How often the scopes file is asked for again (with <c>If-None-Match</c>, so an unchanged
    /// file costs a 304). A change announced on the revocation feed is fetched at once, and so is
    /// the file whenever the feed's stream reconnects, so this only bounds how late a change heard
    /// of no other way arrives (made through another broker replica, or <c>FollowRevocations</c>
    /// off). Default 30 s.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-fetch timeout. Default 10 s.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest scopes file accepted, in bytes; a larger answer is refused and the last good version kept. Default 1 MB.</summary>
    public int MaxDocumentBytes { get; set; } = 1024 * 1024;

    /// <summary>Throws for a setting out of range.</summary>
    internal void Validate()
    {
        if (RefreshInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Tessera route scopes from the broker: RefreshInterval must be positive");
        }

        if (FetchTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Tessera route scopes from the broker: FetchTimeout must be positive");
        }

        if (MaxDocumentBytes < 1)
        {
            throw new InvalidOperationException("Tessera route scopes from the broker: MaxDocumentBytes must be positive");
        }
    }
}
