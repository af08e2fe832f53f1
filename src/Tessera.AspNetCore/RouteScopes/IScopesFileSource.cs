namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// Where the route-scopes middleware reads the rules in force: a local file
/// (<see cref="ScopesFileSource"/>) or the broker (<see cref="BrokerScopesFileSource"/>). Either keeps
/// the last valid version when a newer one cannot be had, and answers null until a first one was.
/// </summary>
public interface IScopesFileSource
{
    /// <summary>The rules in force, or null while no valid version was ever loaded (requests then get <c>MIDDLEWARE_NOT_READY</c>).</summary>
    ScopesFile? Current { get; }

    /// <summary>Why the last attempt to load failed, or null when it succeeded.</summary>
    string? LastError { get; }
}
