namespace Tessera.Storage.LaunchTokens;

/// <summary>Launch tokens: created by operators, used by agents to register.</summary>
public interface ILaunchTokenStore
{
    /// <summary>Stores a new launch token.</summary>
    Task CreateAsync(LaunchTokenRecord record, CancellationToken cancellationToken);

    /// <summary>Finds a launch token by hash, whatever its state.</summary>
    Task<LaunchTokenRecord?> FindAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Deletes launch tokens that expired before <paramref name="beforeMs"/>; returns how many.</summary>
    Task<int> PurgeExpiredAsync(long beforeMs, CancellationToken cancellationToken);
}
