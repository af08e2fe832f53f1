using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Hosting;
using Tessera.Storage.Keys;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Revocations;
using Tessera.Storage.Sqlite;

namespace Tessera.Broker.Tests;

/// <summary>The one decision of which storage provider <c>TESSERA_DB</c> names, and what each registers.</summary>
public sealed class StorageProviderTests
{
    [Theory]
    [InlineData("postgres://tessera:secret@db.example.test:5433/tessera")]
    [InlineData("postgresql://db.example.test/tessera?sslmode=require")]
    [InlineData("Host=db;Username=tessera;Database=tessera")]
    [InlineData("Server=db;Database=tessera")]
    public void Detect_IsPostgreSql_WhenDbNamesAServer(string db) =>
        Assert.Equal(StorageProviderKind.PostgreSql, StorageProvider.Detect(db));

    [Theory]
    [InlineData("./.tessera/tessera.db")]
    [InlineData("/var/lib/tessera/tessera.db")]
    [InlineData("data/host=1/tessera.db")]
    [InlineData("")]
    [InlineData(null)]
    public void Detect_IsSqlite_WhenDbIsAnythingElse(string? db) =>
        Assert.Equal(StorageProviderKind.Sqlite, StorageProvider.Detect(db));

    [Theory]
    [InlineData("./.tessera/tessera.db")]
    [InlineData("postgres://tessera:pw@db/tessera")]
    [InlineData("Host=db;Database=tessera")]
    public void Validate_IsNull_WhenTheProviderCanUseDb(string db) =>
        Assert.Null(StorageProvider.Validate(db));

    [Theory]
    [InlineData("postgres://user:pw@/tessera")]
    [InlineData("Host=db;No Such Keyword=1")]
    public void Validate_NamesTheProblemWithoutThePassword_WhenPostgreSqlDbIsUnusable(string db)
    {
        string? error = StorageProvider.Validate(db);

        Assert.NotNull(error);
        Assert.DoesNotContain("pw", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AddStores_RegistersSqliteOnly_WhenDbIsAPath()
    {
        var services = new ServiceCollection();

        Assert.Equal(StorageProviderKind.Sqlite, StorageProvider.AddStores(services, "./.tessera/tessera.db"));

        Assert.Contains(services, d => d.ServiceType == typeof(SqliteDatabase));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(PostgreSqlDatabase));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IRevocationChangeSignal));
    }

    [Fact]
    public void AddStores_RegistersPostgreSqlOnly_WhenDbIsAUrl()
    {
        var services = new ServiceCollection();

        Assert.Equal(StorageProviderKind.PostgreSql, StorageProvider.AddStores(services, "postgres://tessera@db/tessera"));

        Assert.Contains(services, d => d.ServiceType == typeof(PostgreSqlDatabase));
        Assert.Contains(services, d => d.ServiceType == typeof(IKeyRingStore));
        Assert.Contains(services, d => d.ServiceType == typeof(IRevocationChangeSignal));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(SqliteDatabase));
    }

    [Fact]
    public void Broker_ReferencesTheStoreContractsOnly()
    {
        var references = typeof(Tessera.Broker.Hosting.BrokerApplication).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();

        Assert.Contains("Tessera.Storage", references);
        Assert.DoesNotContain(references, n => n.Contains("Sqlite", StringComparison.OrdinalIgnoreCase) || n.Contains("Npgsql", StringComparison.OrdinalIgnoreCase) || n.Contains("PostgreSql", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void BrokerApplication_RefusesToBuild_WithoutAStorageProvider()
    {
        var refusal = Assert.Throws<ArgumentException>(() => Tessera.Broker.Hosting.BrokerApplication.Build(["http://127.0.0.1:0"], storageProviders: []));

        Assert.Equal("storageProviders", refusal.ParamName);
    }

    [Fact]
    public void All_AsksPostgreSqlFirst_AndSqliteTakesTheRest()
    {
        Assert.Equal(["postgresql", "sqlite"], StorageProvider.All.Select(p => p.Name));
        Assert.True(StorageProvider.All[0].SharedAcrossReplicas);
        Assert.False(StorageProvider.All[1].SharedAcrossReplicas);
        Assert.True(StorageProvider.All[1].Handles("./anything.db"));
    }
}
