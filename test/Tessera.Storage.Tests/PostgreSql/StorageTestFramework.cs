using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Tessera.Storage.Tests.PostgreSql.StorageTestFramework", "Tessera.Storage.Tests")]

namespace Tessera.Storage.Tests.PostgreSql;

/// <summary>
/// xunit's own framework, except that the tests of a <see cref="RequiresPostgreSqlAttribute"/>
/// class are discovered as skipped, saying why, when no PostgreSQL server is configured outside
/// CI. (xunit 2 has no skip decided at run time; discovery is where it can be done.)
/// </summary>
public sealed class StorageTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
    {
        private static readonly string RequiresPostgreSql = typeof(RequiresPostgreSqlAttribute).AssemblyQualifiedName!;
        private static readonly string Fact = typeof(FactAttribute).AssemblyQualifiedName!;

        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            if (PostgreSqlTestServer.IsConfigured || PostgreSqlTestServer.InCi || !testMethod.TestClass.Class.GetCustomAttributes(RequiresPostgreSql).Any())
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }

            if (!testMethod.Method.GetCustomAttributes(Fact).Any())
            {
                return true;
            }

            var skipped = new XunitSkippedDataRowTestCase(
                DiagnosticMessageSink,
                discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(),
                testMethod,
                PostgreSqlTestServer.NotConfiguredMessage,
                null);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}
