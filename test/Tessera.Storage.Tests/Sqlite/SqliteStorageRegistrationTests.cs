using Microsoft.Extensions.DependencyInjection;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.Health;
using Tessera.Storage.Keys;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;
using Tessera.Storage.Sqlite;

namespace Tessera.Storage.Tests.Sqlite;

public sealed class SqliteStorageRegistrationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tessera-storage-registration-").FullName;

    [Fact]
    public async Task AddTesseraSqliteStorage_ResolvesEveryStoreOnOneDatabase_WhenGivenAPath()
    {
        string path = Path.Combine(_directory, "nested", "tessera.db");
        var services = new ServiceCollection().AddTesseraSqliteStorage(path);

        await using (var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }))
        {
            Assert.False(File.Exists(path));
            Assert.IsType<SqliteLaunchTokenStore>(provider.GetRequiredService<ILaunchTokenStore>());
            Assert.IsType<SqliteNonceStore>(provider.GetRequiredService<INonceStore>());
            Assert.Same(provider.GetRequiredService<IAgentStore>(), provider.GetRequiredService<IRegistrationStore>());
            Assert.IsType<SqliteRevocationStore>(provider.GetRequiredService<IRevocationStore>());
            Assert.IsType<SqliteAuditStore>(provider.GetRequiredService<IAuditStore>());
            Assert.IsType<SqliteClientStore>(provider.GetRequiredService<IClientStore>());
            Assert.IsType<SqlitePlatformStore>(provider.GetRequiredService<IPlatformStore>());
            Assert.IsType<SqliteAssertionReplayStore>(provider.GetRequiredService<IAssertionReplayStore>());

            var health = provider.GetRequiredService<IStorageHealth>();
            Assert.True(await health.PingAsync(CancellationToken.None));
            Assert.Equal(provider.GetRequiredService<SqliteDatabase>().SchemaVersion(), await health.SchemaVersionAsync(CancellationToken.None));
            Assert.Equal(Path.GetFullPath(path), provider.GetRequiredService<SqliteDatabase>().Path);
        }

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void AddTesseraSqliteStorage_RegistersNoReplicaServices_BecauseAFileServesOneBroker()
    {
        var services = new ServiceCollection().AddTesseraSqliteStorage(Path.Combine(_directory, "tessera.db"));

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IKeyRingStore));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IKeyRingChangeSignal));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IRevocationChangeSignal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AddTesseraSqliteStorage_Throws_WhenPathIsBlank(string path) =>
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTesseraSqliteStorage(path));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
