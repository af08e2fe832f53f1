using System.Diagnostics.Metrics;

namespace Tessera.AspNetCore.Diagnostics;

/// <summary>The library's one <see cref="Meter"/>: <c>Tessera.AspNetCore</c>.</summary>
internal static class TesseraMeter
{
    /// <summary>The meter every instrument of the library is created on.</summary>
    public static readonly Meter Instance = new("Tessera.AspNetCore");
}
