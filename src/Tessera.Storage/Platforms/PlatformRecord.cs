namespace Tessera.Storage.Platforms;

/// <summary>A platform: an API that agents call with tokens whose audience is its id.</summary>
public sealed record PlatformRecord
{
    /// <summary>The audience its tokens carry.</summary>
    public required string PlatformId { get; init; }

    /// <summary>Display name.</summary>
    public required string Name { get; init; }

    /// <summary>Host names it serves, lowercase, without port.</summary>
    public required IReadOnlyList<string> Hostnames { get; init; }

    /// <summary>The scopes it defines; grants on it must be covered by them.</summary>
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>Its route rules as JSON (owned by the broker), rendered as its scopes file.</summary>
    public required string RoutesJson { get; init; }

    /// <summary><c>tessera</c> or <c>mudraid</c>.</summary>
    public required string TokenProfile { get; init; }

    /// <summary>Incremented on every change.</summary>
    public required int Version { get; init; }

    /// <summary>Created, Unix ms.</summary>
    public required long CreatedAtMs { get; init; }

    /// <summary>Last changed, Unix ms.</summary>
    public required long UpdatedAtMs { get; init; }
}
