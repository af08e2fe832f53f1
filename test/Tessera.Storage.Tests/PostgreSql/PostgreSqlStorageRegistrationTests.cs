using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Health;
using Tessera.Storage.Keys;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.Tests.PostgreSql;

[RequiresPostgreSql]
public sealed class PostgreSqlStorageRegistrationTests
{
    [Fact]
    public async Task AddTesseraPostgreSqlStorage_ResolvesEveryStoreAndSignalOnOneDatabase_WhenGivenAConnectionString()
    {
        string name = PostgreSqlTestServer.CreateEmptyDatabase();
        try
        {
            var services = new ServiceCollection().AddTesseraPostgreSqlStorage(PostgreSqlTestServer.ConnectionStringFor(name));
            await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

            Assert.IsType<PostgreSqlLaunchTokenStore>(provider.GetRequiredService<ILaunchTokenStore>());
            Assert.IsType<PostgreSqlNonceStore>(provider.GetRequiredService<INonceStore>());
            Assert.Same(provider.GetRequiredService<IAgentStore>(), provider.GetRequiredService<IRegistrationStore>());
            Assert.IsType<PostgreSqlRevocationStore>(provider.GetRequiredService<IRevocationStore>());
            Assert.IsType<PostgreSqlAuditStore>(provider.GetRequiredService<IAuditStore>());
            Assert.IsType<PostgreSqlClientStore>(provider.GetRequiredService<IClientStore>());
            Assert.IsType<PostgreSqlPlatformStore>(provider.GetRequiredService<IPlatformStore>());
            Assert.IsType<PostgreSqlAssertionReplayStore>(provider.GetRequiredService<IAssertionReplayStore>());
            Assert.IsType<PostgreSqlKeyRingStore>(provider.GetRequiredService<IKeyRingStore>());
            Assert.NotNull(provider.GetRequiredService<IRevocationChangeSignal>());
            Assert.NotNull(provider.GetRequiredService<IKeyRingChangeSignal>());

            var health = provider.GetRequiredService<IStorageHealth>();
            Assert.True(await health.PingAsync(CancellationToken.None));
            Assert.Equal(PostgreSqlMigrator.LoadMigrations().Max(m => m.Version), await health.SchemaVersionAsync(CancellationToken.None));
        }
        finally
        {
            PostgreSqlTestServer.DropDatabase(name);
        }
    }
}
