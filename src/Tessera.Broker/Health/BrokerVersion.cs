using System.Reflection;

namespace Tessera.Broker.Health;

/// <summary>The broker's version, from the assembly's informational version.</summary>
public static class BrokerVersion
{
    /// <summary>For example <c>0.1.0</c>.</summary>
    public static string Value { get; } =
        (typeof(BrokerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
