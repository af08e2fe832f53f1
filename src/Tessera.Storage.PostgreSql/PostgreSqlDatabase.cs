using Npgsql;
using Tessera.Storage.Health;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// A PostgreSQL database shared by any number of broker replicas: a pool of connections, the
/// schema brought up to date at open (safely when several replicas start together), and the one
/// in-process audit writer of this replica. Every single-use decision is one atomic statement or
/// one transaction in the database, never a check in this process, so it holds across replicas.
/// </summary>
public sealed class PostgreSqlDatabase : IStorageHealth, IDisposable, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly Lazy<PostgreSqlChangeListener> _changes;

    private PostgreSqlDatabase(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        AuditWriter = new PostgreSqlAuditWriter(dataSource);
        _changes = new(() => new PostgreSqlChangeListener(dataSource), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// What any replica commits (revocations, key ring changes), heard through <c>LISTEN</c>; its
    /// connection is opened on first use and held until the database is disposed.
    /// </summary>
    public PostgreSqlChangeListener Changes => _changes.Value;

    /// <summary>The connection pool.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Group commit of audit appends.</summary>
    internal PostgreSqlAuditWriter AuditWriter { get; }

    /// <summary>
    /// Connects to the database named by <paramref name="connectionStringOrUrl"/> (see
    /// <see cref="PostgreSqlConnectionString"/>) and applies pending migrations.
    /// </summary>
    /// <exception cref="FormatException">Not a PostgreSQL URL or connection string.</exception>
    /// <exception cref="NpgsqlException">The server could not be reached or refused a migration.</exception>
    public static async Task<PostgreSqlDatabase> OpenAsync(string connectionStringOrUrl, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrUrl);
        var dataSource = NpgsqlDataSource.Create(PostgreSqlConnectionString.Normalize(connectionStringOrUrl));
        try
        {
            await PostgreSqlMigrator.MigrateAsync(dataSource, cancellationToken);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }

        return new PostgreSqlDatabase(dataSource);
    }

    /// <summary>Synchronous <see cref="OpenAsync"/>, for start-up code that cannot await.</summary>
    public static PostgreSqlDatabase Open(string connectionStringOrUrl) =>
        OpenAsync(connectionStringOrUrl, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = _dataSource.CreateCommand("SELECT 1");
            return await cmd.ExecuteScalarAsync(cancellationToken) is 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public Task<int> SchemaVersionAsync(CancellationToken cancellationToken) => PostgreSqlMigrator.CurrentVersionAsync(_dataSource, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in one transaction on one pooled connection, committing when it returns.</summary>
    internal async Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        T result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_changes.IsValueCreated)
        {
            _changes.Value.StopAsync().AsTask().GetAwaiter().GetResult();
        }

        AuditWriter.Dispose();
        _dataSource.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_changes.IsValueCreated)
        {
            await _changes.Value.StopAsync();
        }

        await AuditWriter.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
