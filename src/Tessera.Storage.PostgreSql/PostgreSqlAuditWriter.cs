using System.Threading.Channels;
using Npgsql;
using Tessera.Audit;
using Tessera.Storage.Audit;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Group commit of the audit chain. Appenders queue their drafts (a bounded channel: back-pressure,
/// never an unbounded queue); one loop takes everything waiting, and in one transaction locks the
/// chain head row, links and hashes every draft in order, inserts them in one statement, moves the
/// head and commits; only then is each appender told. The head row lock is what keeps one chain
/// when other replicas append to the same database: their transactions wait for this one.
/// </summary>
internal sealed class PostgreSqlAuditWriter : IDisposable, IAsyncDisposable
{
    private const int MaxEventsPerBatch = 4096;

    private const string InsertSql = """
        INSERT INTO audit_events (seq, id, timestamp_ms, event_type, agent_id, task_id, orch_id, detail, resource, outcome, deleg_depth, deleg_chain_hash, prev_hash, hash)
        SELECT * FROM unnest(@seq, @id, @ts, @type, @agent, @task, @orch, @detail, @resource, @outcome, @depth, @chain, @prev, @hash)
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<PendingAppend> _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(16_384)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Task _loop;

    public PostgreSqlAuditWriter(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Appends <paramref name="drafts"/> as one contiguous run of the chain; completes after the commit that holds them.</summary>
    public async Task<IReadOnlyList<AuditEvent>> AppendAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken)
    {
        if (drafts.Count == 0)
        {
            return [];
        }

        var pending = new PendingAppend(drafts, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException("the database is closed", ex);
            }
        }

        return await pending.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingAppend>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            int events = 0;
            while (events < MaxEventsPerBatch && reader.TryRead(out var pending))
            {
                if (pending.CancellationToken.IsCancellationRequested)
                {
                    pending.Completion.TrySetCanceled(pending.CancellationToken);
                    continue;
                }

                batch.Add(pending);
                events += pending.Drafts.Count;
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch);
            }
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        try
        {
            var stored = await AppendInOneTransactionAsync(batch);
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(stored[i]);
            }
        }
        catch (PostgresException) when (batch.Count > 1)
        {
            // The server refused the transaction, so none of it was stored. One bad draft (say, a
            // string PostgreSQL cannot hold) must not fail everyone else's: each tries alone.
            foreach (var pending in batch)
            {
                await CommitAsync([pending]);
            }
        }
#pragma warning disable CA1031 // Every appender of the batch gets the failure; the loop must live on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private async Task<List<IReadOnlyList<AuditEvent>>> AppendInOneTransactionAsync(List<PendingAppend> batch)
    {
        // Once taken from the queue a batch is finished whatever its callers do: no cancellation here.
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        long seq;
        string prev;
        await using (var head = new NpgsqlCommand("SELECT seq, hash FROM audit_head FOR UPDATE", connection, transaction))
        await using (var reader = await head.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException("the audit chain head row is missing");
            }

            seq = reader.GetInt64(0);
            prev = reader.GetString(1);
        }

        int total = 0;
        foreach (var pending in batch)
        {
            total += pending.Drafts.Count;
        }

        var columns = new Columns(total);
        var stored = new List<IReadOnlyList<AuditEvent>>(batch.Count);
        int row = 0;
        foreach (var pending in batch)
        {
            var events = new List<AuditEvent>(pending.Drafts.Count);
            foreach (var d in pending.Drafts)
            {
                seq++;
                string id = AuditChain.IdFor(seq);
                string hash = AuditChain.ComputeHash(prev, id, d.TimestampMs, d.EventType, d.AgentId, d.TaskId, d.OrchId, d.Detail, d.Resource, d.Outcome, d.DelegDepth, d.DelegChainHash);
                var e = new AuditEvent
                {
                    Sequence = seq,
                    Id = id,
                    TimestampMs = d.TimestampMs,
                    EventType = d.EventType,
                    AgentId = d.AgentId,
                    TaskId = d.TaskId,
                    OrchId = d.OrchId,
                    Detail = d.Detail,
                    Resource = d.Resource,
                    Outcome = d.Outcome,
                    DelegDepth = d.DelegDepth,
                    DelegChainHash = d.DelegChainHash,
                    PrevHash = prev,
                    Hash = hash,
                };
                columns.Set(row++, e);
                events.Add(e);
                prev = hash;
            }

            stored.Add(events);
        }

        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        {
            columns.Bind(insert.Parameters);
            await insert.ExecuteNonQueryAsync();
        }

        await using (var move = new NpgsqlCommand("UPDATE audit_head SET seq = @seq, hash = @hash", connection, transaction))
        {
            move.Parameters.AddWithValue("seq", seq);
            move.Parameters.AddWithValue("hash", prev);
            await move.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return stored;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private sealed class PendingAppend(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken)
    {
        public IReadOnlyList<AuditEventDraft> Drafts { get; } = drafts;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<IReadOnlyList<AuditEvent>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The batch column by column: one array parameter per column, one INSERT for all rows.</summary>
    private sealed class Columns(int count)
    {
        private readonly long[] _seq = new long[count];
        private readonly string[] _id = new string[count];
        private readonly long[] _ts = new long[count];
        private readonly string[] _type = new string[count];
        private readonly string[] _agent = new string[count];
        private readonly string[] _task = new string[count];
        private readonly string[] _orch = new string[count];
        private readonly string[] _detail = new string[count];
        private readonly string[] _resource = new string[count];
        private readonly string[] _outcome = new string[count];
        private readonly int[] _depth = new int[count];
        private readonly string[] _chain = new string[count];
        private readonly string[] _prev = new string[count];
        private readonly string[] _hash = new string[count];

        public void Set(int row, AuditEvent e)
        {
            _seq[row] = e.Sequence;
            _id[row] = e.Id;
            _ts[row] = e.TimestampMs;
            _type[row] = e.EventType;
            _agent[row] = e.AgentId;
            _task[row] = e.TaskId;
            _orch[row] = e.OrchId;
            _detail[row] = e.Detail;
            _resource[row] = e.Resource;
            _outcome[row] = e.Outcome;
            _depth[row] = e.DelegDepth;
            _chain[row] = e.DelegChainHash;
            _prev[row] = e.PrevHash;
            _hash[row] = e.Hash;
        }

        public void Bind(NpgsqlParameterCollection parameters)
        {
            parameters.AddWithValue("seq", _seq);
            parameters.AddWithValue("id", _id);
            parameters.AddWithValue("ts", _ts);
            parameters.AddWithValue("type", _type);
            parameters.AddWithValue("agent", _agent);
            parameters.AddWithValue("task", _task);
            parameters.AddWithValue("orch", _orch);
            parameters.AddWithValue("detail", _detail);
            parameters.AddWithValue("resource", _resource);
            parameters.AddWithValue("outcome", _outcome);
            parameters.AddWithValue("depth", _depth);
            parameters.AddWithValue("chain", _chain);
            parameters.AddWithValue("prev", _prev);
            parameters.AddWithValue("hash", _hash);
        }
    }
}
