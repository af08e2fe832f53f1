namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>
/// Marks a test class that needs the PostgreSQL server of <see cref="PostgreSqlTestServer"/>.
/// Without one its tests are reported skipped, with the reason, on a developer's machine; in CI
/// (<c>CI</c> set) they run and fail, so CI never passes without having run them.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresPostgreSqlAttribute : Attribute;
