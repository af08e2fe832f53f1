using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Tessera.Storage.Sqlite;

/// <summary>
/// Group commit for every write. SQLite admits one writer, and with full fsync a commit costs
/// far more than the statements in it; so one writer loop takes every write that is waiting,
/// runs each inside its own savepoint of one IMMEDIATE transaction, commits once, and only then
/// completes each caller. A write that throws is rolled back to its savepoint alone; the others
/// still commit. Nobody is told "done" before the commit that holds their write.
/// </summary>
internal sealed class SqliteWriteBatcher : IDisposable
{
    private const int MaxBatch = 256;

    private readonly Func<SqliteConnection> _open;
    private readonly Channel<IWriteOperation> _queue = Channel.CreateBounded<IWriteOperation>(new BoundedChannelOptions(16_384)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Task _loop;
    private SqliteConnection? _connection;

    public SqliteWriteBatcher(Func<SqliteConnection> open)
    {
        _open = open;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public async Task<T> EnqueueAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        var operation = new WriteOperation<T>(work, cancellationToken);
        if (!_queue.Writer.TryWrite(operation))
        {
            try
            {
                await _queue.Writer.WriteAsync(operation, cancellationToken);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException("the database is closed", ex);
            }
        }

        return await operation.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<IWriteOperation>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var operation))
            {
                if (operation.IsCancellationRequested)
                {
                    operation.Cancel();
                    continue;
                }

                batch.Add(operation);
            }

            if (batch.Count > 0)
            {
                Execute(batch);
            }
        }

        _connection?.Dispose();
    }

    private void Execute(List<IWriteOperation> batch)
    {
        try
        {
            _connection ??= _open();
            using var transaction = _connection.BeginTransaction(deferred: false);
            foreach (var operation in batch)
            {
                transaction.Save("op");
                operation.Run(_connection, transaction);
                if (operation.Failed)
                {
                    transaction.Rollback("op");
                }

                transaction.Release("op");
            }

            transaction.Commit();
        }
#pragma warning disable CA1031 // A failed commit is reported to every caller of the batch; the loop must live on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var operation in batch)
            {
                operation.Fail(ex);
            }

            // The connection may be in an unknown state: start the next batch on a fresh one.
            _connection?.Dispose();
            _connection = null;
        }

        foreach (var operation in batch)
        {
            operation.Complete();
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.GetAwaiter().GetResult();
    }

    private interface IWriteOperation
    {
        bool IsCancellationRequested { get; }

        bool Failed { get; }

        void Run(SqliteConnection connection, SqliteTransaction transaction);

        void Fail(Exception exception);

        void Cancel();

        void Complete();
    }

    private sealed class WriteOperation<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken) : IWriteOperation
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsCancellationRequested => cancellationToken.IsCancellationRequested;

        public bool Failed => _error is not null;

        public void Run(SqliteConnection connection, SqliteTransaction transaction)
        {
            try
            {
                _result = work(connection, transaction);
            }
#pragma warning disable CA1031 // The caller gets its own exception back; the batch goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _error = ex;
            }
        }

        public void Fail(Exception exception) => _error ??= exception;

        public void Cancel() => Completion.TrySetCanceled(cancellationToken);

        public void Complete()
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
            }
            else
            {
                Completion.TrySetResult(_result!);
            }
        }
    }
}
