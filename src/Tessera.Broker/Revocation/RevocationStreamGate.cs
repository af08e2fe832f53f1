using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;

namespace Tessera.Broker.Revocation;

/// <summary>
/// Counts open revocation streams per client address and in total, and refuses one past either
/// cap. A stream is a connection held open for as long as the client likes; without a cap one
/// client can hold them until the process runs out of file descriptors.
/// </summary>
internal sealed class RevocationStreamGate(IOptions<BrokerOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private readonly int _perAddressLimit = options.Value.RevocationStreamsPerAddress;
    private readonly int _totalLimit = options.Value.RevocationStreamsMax;
    private int _total;

    /// <summary>Open streams, all addresses together.</summary>
    public int Open => Volatile.Read(ref _total);

    /// <summary>Takes a slot for <paramref name="address"/>; null when a cap is reached. Dispose the slot when the stream ends.</summary>
    public IDisposable? TryEnter(string address)
    {
        if (Interlocked.Increment(ref _total) > _totalLimit)
        {
            Interlocked.Decrement(ref _total);
            return null;
        }

        while (true)
        {
            int current = _perAddress.GetOrAdd(address, 0);
            if (current >= _perAddressLimit)
            {
                Interlocked.Decrement(ref _total);
                return null;
            }

            if (_perAddress.TryUpdate(address, current + 1, current))
            {
                return new Slot(this, address);
            }
        }
    }

    private void Leave(string address)
    {
        while (true)
        {
            int current = _perAddress.GetOrAdd(address, 0);
            if (current <= 1)
            {
                // Remove the address when its last stream ends, so the table holds only live addresses.
                if (_perAddress.TryRemove(new KeyValuePair<string, int>(address, current)))
                {
                    break;
                }
            }
            else if (_perAddress.TryUpdate(address, current - 1, current))
            {
                break;
            }
        }

        Interlocked.Decrement(ref _total);
    }

    private sealed class Slot(RevocationStreamGate gate, string address) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Leave(address);
            }
        }
    }
}
