using Tessera.Time;

namespace Tessera.Core.Tests;

/// <summary>RFC 3339 as the broker writes it: UTC, a Z, seconds or exactly three fractional digits.</summary>
public sealed class TimestampsTests
{
    private static readonly DateTimeOffset Instant = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    [Fact]
    public void Rfc3339_CutsFractions_WhenInstantHasMilliseconds() =>
        Assert.Equal("2026-01-02T03:04:05Z", Timestamps.Rfc3339(Instant));

    [Fact]
    public void Rfc3339_WritesUtc_WhenInstantHasOffset() =>
        Assert.Equal("2026-01-02T03:04:05Z", Timestamps.Rfc3339(Instant.ToOffset(TimeSpan.FromHours(5.5))));

    [Fact]
    public void Rfc3339_MatchesInstant_WhenGivenUnixMilliseconds() =>
        Assert.Equal("2026-01-02T03:04:05Z", Timestamps.Rfc3339(Instant.ToUnixTimeMilliseconds()));

    [Fact]
    public void Rfc3339Milliseconds_WritesThreeDigits_Always()
    {
        Assert.Equal("2026-01-02T03:04:05.678Z", Timestamps.Rfc3339Milliseconds(Instant));
        Assert.Equal("1970-01-01T00:00:00.000Z", Timestamps.Rfc3339Milliseconds(0));
        Assert.Equal("2026-01-02T03:04:05.678Z", Timestamps.Rfc3339Milliseconds(Instant.ToOffset(TimeSpan.FromHours(-7))));
    }
}
