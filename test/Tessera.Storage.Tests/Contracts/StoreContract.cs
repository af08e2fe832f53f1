using Tessera.Storage.Tests.Infrastructure;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>
/// Base of the provider-independent store contract suites. A provider derives a sealed class
/// from each suite, passing a harness over a fresh database; the suite disposes it.
/// </summary>
public abstract class StoreContract : IDisposable
{
    protected StoreContract(IStorageHarness harness)
    {
        ArgumentNullException.ThrowIfNull(harness);
        Harness = harness;
    }

    protected static CancellationToken Ct => CancellationToken.None;

    protected IStorageHarness Harness { get; }

    protected StoreSet Stores => Harness.Primary;

    public void Dispose()
    {
        Harness.Dispose();
        GC.SuppressFinalize(this);
    }
}
