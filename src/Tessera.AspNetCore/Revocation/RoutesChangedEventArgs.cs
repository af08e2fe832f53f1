namespace Tessera.AspNetCore.Revocation;

/// <summary>A platform's scopes file changed at the broker (<c>event: routes</c> on the revocation stream).</summary>
public sealed class RoutesChangedEventArgs(string platformId, long version) : EventArgs
{
    /// <summary>The platform whose routes (or version, or token profile) changed.</summary>
    public string PlatformId { get; } = platformId;

    /// <summary>The platform's version after the change; the scopes file carries it.</summary>
    public long Version { get; } = version;
}
