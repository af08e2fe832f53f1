using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Tessera.ExchangeBench;

/// <summary>
/// Gives every connection of the peer the per-connection SQLite settings Tessera's store uses
/// (full fsync on commit, a 30 s busy timeout), so the two stores differ in how they write, not
/// in how SQLite is tuned.
/// </summary>
/// <remarks>
/// Without a busy timeout, a writer that finds the database locked is retried by
/// Microsoft.Data.Sqlite's own loop, which sleeps a fixed interval (about 150 ms) between
/// attempts; under 32 concurrent writers that measures the sleep rather than OpenIddict. WAL, the other setting, is
/// a property of the database file, and EF Core's <c>EnsureCreated</c> already turns it on.
/// </remarks>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
