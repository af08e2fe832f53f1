using Tessera.Storage.Tests.Contracts;

namespace Tessera.Storage.Tests.Sqlite;

// The SQLite provider runs every store contract, each test over a fresh database file.

public sealed class SqliteLaunchTokenStoreTests() : LaunchTokenStoreContract(new SqliteStorageHarness());

public sealed class SqliteNonceStoreTests() : NonceStoreContract(new SqliteStorageHarness());

public sealed class SqliteRegistrationStoreTests() : RegistrationStoreContract(new SqliteStorageHarness());

public sealed class SqliteRevocationStoreTests() : RevocationStoreContract(new SqliteStorageHarness());

public sealed class SqliteAuditStoreTests() : AuditStoreContract(new SqliteStorageHarness());

public sealed class SqliteClientStoreTests() : ClientStoreContract(new SqliteStorageHarness());

public sealed class SqliteClientLifecycleTests() : ClientLifecycleContract(new SqliteStorageHarness());

public sealed class SqlitePlatformStoreTests() : PlatformStoreContract(new SqliteStorageHarness());

public sealed class SqliteAssertionReplayStoreTests() : AssertionReplayStoreContract(new SqliteStorageHarness());

public sealed class SqliteAgentInventoryTests() : AgentInventoryContract(new SqliteStorageHarness());
