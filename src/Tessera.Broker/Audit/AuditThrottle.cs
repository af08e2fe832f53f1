namespace Tessera.Broker.Audit;

/// <summary>
/// Lets at most one audit event per second through for each key (an address and a reason) and
/// counts the rest, so a flood of refused requests becomes a trickle of events, each saying how many
/// were suppressed before it. Memory is bounded: a fixed table of slots indexed by the key's hash;
/// two keys sharing a slot share its allowance and its count.
/// </summary>
internal sealed class AuditThrottle(TimeProvider time)
{
    private const int Slots = 4096;
    private const long WindowMs = 1000;

    private readonly Slot[] _slots = CreateSlots();

    /// <summary>
    /// True when an event for <paramref name="key"/> should be written now, with the number of events
    /// suppressed for that slot since the last one written; false when this one is suppressed (and counted).
    /// </summary>
    public bool TryAcquire(string key, out long suppressed)
    {
        ArgumentNullException.ThrowIfNull(key);
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var slot = _slots[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % Slots)];
        lock (slot)
        {
            if (slot.Written && now - slot.LastMs < WindowMs)
            {
                slot.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = slot.Suppressed;
            slot.Suppressed = 0;
            slot.LastMs = now;
            slot.Written = true;
            return true;
        }
    }

    /// <summary>The <c> | suppressed=N</c> suffix of a throttled event, empty when none was suppressed.</summary>
    public static AuditFragment Suffix(long suppressed) =>
        suppressed > 0 ? AuditFragment.Of($" | suppressed={suppressed}") : AuditFragment.Empty;

    private static Slot[] CreateSlots()
    {
        var slots = new Slot[Slots];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new Slot();
        }

        return slots;
    }

    private sealed class Slot
    {
        public long LastMs { get; set; }

        public long Suppressed { get; set; }

        public bool Written { get; set; }
    }
}
