using System.Globalization;
using Tessera.Errors;
using Tessera.Storage.Audit;

namespace Tessera.Broker.Audit;

/// <summary>
/// The checks of an audit events query, in one place. The query values arrive as text (a value that
/// does not parse gets the broker's own 400, naming the parameter), checked in the order
/// <c>since</c>, <c>until</c>, <c>limit</c>, <c>offset</c>; the first failure wins.
/// </summary>
internal static class AuditValidation
{
    /// <summary>The store query of the request's filters, or why they were refused.</summary>
    /// <param name="agentId">Exact agent id; empty or absent: no filter.</param>
    /// <param name="taskId">Exact task id.</param>
    /// <param name="eventType">Exact event type.</param>
    /// <param name="outcome">Exact outcome.</param>
    /// <param name="since">RFC 3339 date-time with a <c>T</c>, inclusive; null when absent.</param>
    /// <param name="until">RFC 3339 date-time with a <c>T</c>, inclusive; null when absent.</param>
    /// <param name="limit">1 to 1000; null when absent.</param>
    /// <param name="offset">A non-negative integer; null when absent.</param>
    public static (AuditQuery Query, Failure? Failure) CheckQuery(
        string? agentId, string? taskId, string? eventType, string? outcome, string? since, string? until, string? limit, string? offset)
    {
        var query = new AuditQuery
        {
            AgentId = Text(agentId),
            TaskId = Text(taskId),
            EventType = Text(eventType),
            Outcome = Text(outcome),
        };
        if (since is not null)
        {
            if (!TryTime(since, out long sinceMs))
            {
                return (query, Invalid("since must be an RFC 3339 time, for example 2026-01-31T12:00:00Z"));
            }

            query = query with { SinceMs = sinceMs };
        }

        if (until is not null)
        {
            if (!TryTime(until, out long untilMs))
            {
                return (query, Invalid("until must be an RFC 3339 time, for example 2026-01-31T12:00:00Z"));
            }

            query = query with { UntilMs = untilMs };
        }

        if (limit is not null)
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out int l) || l is < 1 or > 1000)
            {
                return (query, Invalid("limit must be between 1 and 1000"));
            }

            query = query with { Limit = l };
        }

        if (offset is not null)
        {
            if (!int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out int o))
            {
                return (query, Invalid("offset must be a non-negative integer"));
            }

            query = query with { Offset = o };
        }

        return (query, null);
    }

    /// <summary>An RFC 3339 date-time containing <c>T</c>; no offset means UTC.</summary>
    public static bool TryTime(string? text, out long ms)
    {
        ms = 0;
        if (text is null || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) || !text.Contains('T', StringComparison.Ordinal))
        {
            return false;
        }

        ms = time.ToUnixTimeMilliseconds();
        return true;
    }

    private static Failure Invalid(string detail) => new(ErrorCatalog.InvalidRequest, detail);

    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
