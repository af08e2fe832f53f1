using Tessera.Audit;
using Tessera.Keys;
using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary>Signs the audit chain head with the broker's active key and stores the checkpoint.</summary>
public sealed class AuditCheckpointer(IAuditStore store, SigningKeyRing keys, TimeProvider time)
{
    /// <summary>Signs and stores a checkpoint for <paramref name="head"/>.</summary>
    public async Task<AuditCheckpoint> SignAsync(AuditEvent head, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        var key = keys.Active;
        byte[] signature = new byte[key.SignatureSize];
        int written = key.Sign(AuditCheckpoint.SigningInput(head.Sequence, head.Hash), signature);
        var checkpoint = new AuditCheckpoint(
            head.Sequence, head.Hash, key.KeyId, key.Algorithm.Name(),
            System.Buffers.Text.Base64Url.EncodeToString(signature.AsSpan(0, written)),
            time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.AddCheckpointAsync(checkpoint, cancellationToken);
        return checkpoint;
    }

    /// <summary>Signs the current head if the latest checkpoint does not already cover it.</summary>
    public async Task SignHeadAsync(CancellationToken cancellationToken)
    {
        var head = await store.HeadAsync(cancellationToken);
        if (head is null)
        {
            return;
        }

        var existing = await store.ListCheckpointsAsync(cancellationToken);
        if (existing.Count > 0 && existing[^1].Sequence >= head.Sequence)
        {
            return;
        }

        await SignAsync(head, cancellationToken);
    }
}
