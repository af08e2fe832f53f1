namespace Tessera.Storage.Clients;

/// <summary>Single use of client assertion ids (RFC 7523 <c>jti</c>).</summary>
public interface IAssertionReplayStore
{
    /// <summary>
    /// Records <paramref name="key"/> as used until <paramref name="expiresAtMs"/>; true only for
    /// the first caller, atomically, however many race.
    /// </summary>
    Task<bool> TryUseAsync(string key, long expiresAtMs, long nowMs, CancellationToken cancellationToken);

    /// <summary>Deletes every entry whose assertion has expired.</summary>
    Task<int> PurgeExpiredAsync(long nowMs, CancellationToken cancellationToken);
}
