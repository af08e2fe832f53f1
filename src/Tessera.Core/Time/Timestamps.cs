using System.Globalization;

namespace Tessera.Time;

/// <summary>
/// RFC 3339 timestamps as Tessera writes them on the wire: always UTC with a <c>Z</c>, never an offset,
/// in whole seconds or with exactly three fractional digits.
/// </summary>
public static class Timestamps
{
    private const string SecondsFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    private const string MillisecondsFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary><paramref name="instant"/> in UTC to the second, for example <c>2026-01-02T03:04:05Z</c> (fractions are cut, not rounded).</summary>
    public static string Rfc3339(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(SecondsFormat, CultureInfo.InvariantCulture);

    /// <summary>The Unix time <paramref name="unixMilliseconds"/> as <see cref="Rfc3339(DateTimeOffset)"/> writes it.</summary>
    public static string Rfc3339(long unixMilliseconds) =>
        Rfc3339(DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds));

    /// <summary><paramref name="instant"/> in UTC to the millisecond, for example <c>2026-01-02T03:04:05.678Z</c> (always three digits).</summary>
    public static string Rfc3339Milliseconds(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(MillisecondsFormat, CultureInfo.InvariantCulture);

    /// <summary>The Unix time <paramref name="unixMilliseconds"/> as <see cref="Rfc3339Milliseconds(DateTimeOffset)"/> writes it.</summary>
    public static string Rfc3339Milliseconds(long unixMilliseconds) =>
        Rfc3339Milliseconds(DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds));
}
