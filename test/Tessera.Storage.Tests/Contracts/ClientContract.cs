using Tessera.Storage.Clients;
using Tessera.Storage.Tests.Infrastructure;
using static Tessera.Storage.Tests.Infrastructure.TestData;

namespace Tessera.Storage.Tests.Contracts;

/// <summary>What the <see cref="IClientStore"/> suites share: creating a client and reading it back.</summary>
public abstract class ClientContract(IStorageHarness harness) : StoreContract(harness)
{
    protected IClientStore Store => Stores.Clients;

    protected async Task<ClientRecord> CreateAsync(string seed, string status = "active", Func<ClientRecord, ClientRecord>? configure = null)
    {
        var client = Client(seed, status: status);
        client = configure?.Invoke(client) ?? client;
        Assert.True(await Store.CreateAsync(client, Ct));
        return client;
    }

    protected async Task<ClientRecord> FindAsync(ClientRecord client)
    {
        var found = await Store.FindByEntityIdAsync(client.EntityId, Ct);
        Assert.NotNull(found);
        return found;
    }
}
