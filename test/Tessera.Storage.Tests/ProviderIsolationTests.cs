using System.Reflection;
using Tessera.Storage.Agents;
using Tessera.Storage.PostgreSql;
using Tessera.Storage.Sqlite;

namespace Tessera.Storage.Tests;

/// <summary>Each provider ships only its own driver; the contracts ship none.</summary>
public sealed class ProviderIsolationTests
{
    [Fact]
    public void Contracts_ReferenceNoDatabaseDriverNorProvider() =>
        Assert.DoesNotContain(References(typeof(IAgentStore).Assembly), n => Names(n, "Sqlite") || Names(n, "Npgsql") || Names(n, "PostgreSql"));

    [Fact]
    public void PostgreSqlProvider_ReferencesNothingOfSqlite() =>
        Assert.DoesNotContain(References(typeof(PostgreSqlDatabase).Assembly), n => Names(n, "Sqlite"));

    [Fact]
    public void SqliteProvider_ReferencesNothingOfPostgreSql() =>
        Assert.DoesNotContain(References(typeof(SqliteDatabase).Assembly), n => Names(n, "Npgsql") || Names(n, "PostgreSql"));

    private static bool Names(string assembly, string part) => assembly.Contains(part, StringComparison.OrdinalIgnoreCase);

    private static List<string> References(Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];
}
