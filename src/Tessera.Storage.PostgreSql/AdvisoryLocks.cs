namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Keys of the PostgreSQL advisory locks Tessera takes (they are per database). Fixed numbers, so
/// every replica of every version agrees on them; chosen far from small integers other software
/// sharing the database might use.
/// </summary>
internal static class AdvisoryLocks
{
    /// <summary>Held while migrations are checked and applied: replicas starting together take turns.</summary>
    public const long Migrations = 0x7465_7373_6572_6101;

    /// <summary>Held by each revocation append until it commits: feed sequence order is commit order.</summary>
    public const long RevocationFeed = 0x7465_7373_6572_6102;
}
