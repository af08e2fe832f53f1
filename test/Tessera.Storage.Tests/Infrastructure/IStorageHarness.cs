using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.Tests.Infrastructure;

/// <summary>Every store of one provider, over one handle on a database.</summary>
public sealed record StoreSet(
    ILaunchTokenStore LaunchTokens,
    INonceStore Nonces,
    IAgentStore Agents,
    IRegistrationStore Registrations,
    IRevocationStore Revocations,
    IAuditStore Audit,
    IClientStore Clients,
    IPlatformStore Platforms,
    IAssertionReplayStore AssertionReplays,
    IAgentInventory Inventory);

/// <summary>
/// What a storage provider supplies to the contract suites: a fresh, empty database for one test
/// (one harness per test-class instance, which xunit creates per test), and the ability to open
/// further independent handles on that same database, as a second broker process would.
/// Disposing the harness closes every handle and destroys the database.
/// </summary>
public interface IStorageHarness : IDisposable
{
    /// <summary>The stores over the primary handle.</summary>
    StoreSet Primary { get; }

    /// <summary>
    /// Opens another handle on the same database that shares no in-process state (locks, gates,
    /// caches) with <see cref="Primary"/>: it stands in for another process.
    /// </summary>
    StoreSet OpenIndependentHandle();
}
