using Tessera.Storage.Tests.Contracts;

namespace Tessera.Storage.Tests.PostgreSql;

// The PostgreSQL provider runs every store contract, each test over a fresh database of its own.

[RequiresPostgreSql]
public sealed class PostgreSqlLaunchTokenStoreTests() : LaunchTokenStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlNonceStoreTests() : NonceStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlRegistrationStoreTests() : RegistrationStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlRevocationStoreTests() : RevocationStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlAuditStoreTests() : AuditStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlClientStoreTests() : ClientStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlClientLifecycleTests() : ClientLifecycleContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlPlatformStoreTests() : PlatformStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlAssertionReplayStoreTests() : AssertionReplayStoreContract(new PostgreSqlStorageHarness());

[RequiresPostgreSql]
public sealed class PostgreSqlAgentInventoryTests() : AgentInventoryContract(new PostgreSqlStorageHarness());
