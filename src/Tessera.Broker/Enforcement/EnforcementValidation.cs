using Tessera.Errors;

namespace Tessera.Broker.Enforcement;

/// <summary>Validation of <c>POST /v1/enforcement/reports</c>: the list and every event in it.</summary>
internal static class EnforcementValidation
{
    /// <summary>An event's <c>outcome</c>: the verifier let the request through.</summary>
    public const string Allowed = "allowed";

    /// <summary>An event's <c>outcome</c>: the verifier refused the request.</summary>
    public const string Denied = "denied";

    /// <summary>
    /// <c>events</c> is a list of at most <see cref="EnforcementEndpoints.MaxEvents"/> well-formed
    /// events; the first bad one is named by its index (<c>400 invalid_request</c>).
    /// </summary>
    public static Failure? CheckReport(EnforcementReport report)
    {
        var events = report.Events;
        if (events is null || events.Length > EnforcementEndpoints.MaxEvents)
        {
            return new Failure(ErrorCatalog.InvalidRequest, $"events must be a list of at most {EnforcementEndpoints.MaxEvents} outcomes");
        }

        for (int i = 0; i < events.Length; i++)
        {
            if (CheckEvent(events[i]) is { } problem)
            {
                return new Failure(ErrorCatalog.InvalidRequest, $"events[{i}]: {problem}");
            }
        }

        return null;
    }

    /// <summary>What is wrong with one event, or null.</summary>
    public static string? CheckEvent(EnforcementEvent? e)
    {
        if (e is null)
        {
            return "must be an object";
        }

        if (string.IsNullOrEmpty(e.AgentId) || e.AgentId.Length > 2048 || HasControl(e.AgentId))
        {
            return "agent_id is required";
        }

        if (e.Outcome is not (Allowed or Denied))
        {
            return "outcome must be allowed or denied";
        }

        if (e.Method is null || e.Method.Length is 0 or > 16 || !IsUpperCase(e.Method))
        {
            return "method must be an upper-case HTTP method";
        }

        if (e.Route is null || e.Route.Length is 0 or > 1024)
        {
            return "route is required (at most 1024 characters)";
        }

        if (e.ErrorCode is { Length: > 64 })
        {
            return "error_code is at most 64 characters";
        }

        if (e.Count is { } count && count is < 1 or > 1_000_000)
        {
            return "count must be between 1 and 1000000";
        }

        return null;
    }

    private static bool HasControl(string value)
    {
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUpperCase(string value)
    {
        foreach (char c in value)
        {
            if (c is < 'A' or > 'Z')
            {
                return false;
            }
        }

        return true;
    }
}
