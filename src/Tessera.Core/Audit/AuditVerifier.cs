using Tessera.Keys;

namespace Tessera.Audit;

/// <summary>What offline verification of the audit chain found.</summary>
public enum AuditVerdict
{
    /// <summary>Every link, hash and checkpoint checks out.</summary>
    Intact = 0,

    /// <summary>An event's stored hash does not match its contents: it was altered.</summary>
    Altered = 2,

    /// <summary>A link or sequence is broken: an event was inserted or removed.</summary>
    Broken = 3,

    /// <summary>A signed checkpoint names an event past the end, or a different hash: the tail was cut or rewritten.</summary>
    Truncated = 4,

    /// <summary>A checkpoint's signature does not verify with the published keys.</summary>
    BadCheckpoint = 5,
}

/// <summary>The outcome of <see cref="AuditVerifier.Verify"/>.</summary>
/// <param name="Verdict">What was found.</param>
/// <param name="Sequence">Where (the first bad event or checkpoint), 0 when intact.</param>
/// <param name="EventId">The event id concerned, if any.</param>
/// <param name="Message">One line for an operator.</param>
/// <param name="EventsChecked">Events read.</param>
/// <param name="CheckpointsChecked">Checkpoints whose signature was verified.</param>
public sealed record AuditVerification(AuditVerdict Verdict, long Sequence, string? EventId, string Message, long EventsChecked, int CheckpointsChecked);

/// <summary>
/// Recomputes the audit hash chain from the first event, names the first event that was altered,
/// inserted or removed, and checks the broker's signed checkpoints so a cut tail is caught too.
/// </summary>
public static class AuditVerifier
{
    /// <summary>Verifies <paramref name="events"/> (in sequence order) against <paramref name="checkpoints"/>.</summary>
    /// <param name="events">The chain, in order.</param>
    /// <param name="checkpoints">Signed checkpoints.</param>
    /// <param name="keys">Keys to check checkpoint signatures with; null checks hashes and positions only.</param>
    public static AuditVerification Verify(IEnumerable<AuditEvent> events, IReadOnlyList<AuditCheckpoint> checkpoints, IVerificationKeySource? keys)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(checkpoints);
        var hashes = new Dictionary<long, string>();
        string prev = AuditChain.GenesisHash;
        long expected = 1;
        long count = 0;
        foreach (var e in events)
        {
            count++;
            if (e.Sequence != expected || !string.Equals(e.Id, AuditChain.IdFor(e.Sequence), StringComparison.Ordinal))
            {
                return e.Sequence > expected
                    ? new(AuditVerdict.Broken, expected, AuditChain.IdFor(expected), $"event {AuditChain.IdFor(expected)} is missing: the chain jumps from seq {expected - 1} to {e.Sequence} (an event was removed)", count, 0)
                    : new(AuditVerdict.Broken, e.Sequence, e.Id, $"event {e.Id} at seq {e.Sequence} is out of place (an event was inserted or renumbered)", count, 0);
            }

            if (!string.Equals(e.PrevHash, prev, StringComparison.Ordinal))
            {
                return new(AuditVerdict.Broken, e.Sequence, e.Id, $"event {e.Id} does not link to the previous event (prev_hash differs): an event before it was removed, inserted or rewritten", count, 0);
            }

            string computed = AuditChain.ComputeHash(e);
            if (!string.Equals(computed, e.Hash, StringComparison.Ordinal))
            {
                return new(AuditVerdict.Altered, e.Sequence, e.Id, $"event {e.Id} was altered: its contents do not match its hash", count, 0);
            }

            hashes[e.Sequence] = e.Hash;
            prev = e.Hash;
            expected++;
        }

        long last = expected - 1;
        int verified = 0;
        foreach (var checkpoint in checkpoints)
        {
            // A checkpoint signed by a key since retired from the JWKS cannot be checked, but its
            // position and hash still are: cutting the tail is caught without the signature.
            if (keys is not null && keys.TryGetKey(checkpoint.KeyId, out var key) && key is not null)
            {
                if (!string.Equals(key.Algorithm.Name(), checkpoint.Algorithm, StringComparison.Ordinal) ||
                    !TryDecode(checkpoint.Signature, out var signature) ||
                    !key.Verify(AuditCheckpoint.SigningInput(checkpoint.Sequence, checkpoint.Hash), signature))
                {
                    return new(AuditVerdict.BadCheckpoint, checkpoint.Sequence, null, $"checkpoint at seq {checkpoint.Sequence} is not signed by a published broker key (kid {checkpoint.KeyId})", count, verified);
                }

                verified++;
            }

            if (checkpoint.Sequence > last)
            {
                return new(AuditVerdict.Truncated, checkpoint.Sequence, AuditChain.IdFor(checkpoint.Sequence),
                    $"the broker signed a checkpoint at seq {checkpoint.Sequence}, but the chain ends at seq {last}: its tail was cut", count, verified);
            }

            if (!hashes.TryGetValue(checkpoint.Sequence, out var hash) || !string.Equals(hash, checkpoint.Hash, StringComparison.Ordinal))
            {
                return new(AuditVerdict.Truncated, checkpoint.Sequence, AuditChain.IdFor(checkpoint.Sequence),
                    $"the chain at seq {checkpoint.Sequence} differs from what the broker signed: the tail was rewritten", count, verified);
            }
        }

        return new(AuditVerdict.Intact, 0, null, $"audit chain intact: {count} events, {checkpoints.Count} checkpoints ({verified} signatures verified)", count, verified);
    }

    private static bool TryDecode(string value, out byte[] bytes)
    {
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(value);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
