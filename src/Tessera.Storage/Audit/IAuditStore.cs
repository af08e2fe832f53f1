using Tessera.Audit;

namespace Tessera.Storage.Audit;

/// <summary>The hash-chained audit log.</summary>
public interface IAuditStore
{
    /// <summary>
    /// Appends a batch in one transaction: reads the chain head, links and hashes each draft in
    /// order, commits once. Returns the stored events. Safe against concurrent appenders.
    /// </summary>
    Task<IReadOnlyList<AuditEvent>> AppendAsync(IReadOnlyList<AuditEventDraft> drafts, CancellationToken cancellationToken);

    /// <summary>Number of events.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>Events matching <paramref name="query"/> in chain order, one page, and how many match in all.</summary>
    Task<(IReadOnlyList<AuditEvent> Events, long Total)> QueryAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>The last event (the chain head), or null when the chain is empty.</summary>
    Task<AuditEvent?> HeadAsync(CancellationToken cancellationToken);

    /// <summary>Stores a signed checkpoint (idempotent per sequence).</summary>
    Task AddCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Every checkpoint, in sequence order.</summary>
    Task<IReadOnlyList<AuditCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken);

    /// <summary>Events with sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    Task<IReadOnlyList<AuditEvent>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken);
}
