using Tessera.Broker.Audit;

namespace Tessera.Broker.Tests;

/// <summary><see cref="AuditValidation"/> on its own.</summary>
public sealed class AuditValidationTests
{
    [Fact]
    public void CheckQuery_ParsesEveryFilter_AndIgnoresEmptyText()
    {
        var (query, failure) = AuditValidation.CheckQuery("agent-1", "", "token_issued", null, "2026-01-31T12:00:00Z", "2026-01-31T13:00:00+01:00", "10", "20");

        Assert.Null(failure);
        Assert.Equal("agent-1", query.AgentId);
        Assert.Null(query.TaskId);
        Assert.Equal("token_issued", query.EventType);
        Assert.Equal(DateTimeOffset.Parse("2026-01-31T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), query.SinceMs);
        Assert.Equal(query.SinceMs, query.UntilMs);
        Assert.Equal(10, query.Limit);
        Assert.Equal(20, query.Offset);
    }

    [Theory]
    [InlineData("2026-01-31", null, null, null, "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData("", null, null, null, "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData(null, "yesterday", null, null, "until must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    [InlineData(null, null, "0", null, "limit must be between 1 and 1000")]
    [InlineData(null, null, "1001", null, "limit must be between 1 and 1000")]
    [InlineData(null, null, null, "-1", "offset must be a non-negative integer")]
    [InlineData("x", "y", "0", "-1", "since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z")]
    public void CheckQuery_RefusesTheFirstBadValue(string? since, string? until, string? limit, string? offset, string detail)
    {
        var (_, failure) = AuditValidation.CheckQuery(null, null, null, null, since, until, limit, offset);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal(detail, failure.Detail);
    }
}
