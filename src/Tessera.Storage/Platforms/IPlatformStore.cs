namespace Tessera.Storage.Platforms;

/// <summary>Platforms and the grants agents hold on them.</summary>
public interface IPlatformStore
{
    /// <summary>Stores a new platform; false when the id is taken.</summary>
    Task<bool> CreateAsync(PlatformRecord platform, CancellationToken cancellationToken);

    /// <summary>Finds a platform by id.</summary>
    Task<PlatformRecord?> FindAsync(string platformId, CancellationToken cancellationToken);

    /// <summary>Every platform, oldest first.</summary>
    Task<IReadOnlyList<PlatformRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Replaces the platform's fields and bumps its version; false when there is no such platform.</summary>
    Task<bool> UpdateAsync(PlatformRecord platform, CancellationToken cancellationToken);

    /// <summary>Deletes the platform and every grant on it; false when there is no such platform.</summary>
    Task<bool> DeleteAsync(string platformId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces an agent's grant on a platform; false when the platform does not exist.</summary>
    Task<bool> SetGrantAsync(GrantRecord grant, CancellationToken cancellationToken);

    /// <summary>Removes a grant; false when there was none.</summary>
    Task<bool> RemoveGrantAsync(string agentId, string platformId, CancellationToken cancellationToken);

    /// <summary>The agent's grant on a platform, if any.</summary>
    Task<GrantRecord?> FindGrantAsync(string agentId, string platformId, CancellationToken cancellationToken);

    /// <summary>Every grant on a platform, by agent id.</summary>
    Task<IReadOnlyList<GrantRecord>> ListGrantsOnPlatformAsync(string platformId, CancellationToken cancellationToken);

    /// <summary>Every grant an agent holds, by platform id.</summary>
    Task<IReadOnlyList<GrantRecord>> ListGrantsAsync(string agentId, CancellationToken cancellationToken);
}
