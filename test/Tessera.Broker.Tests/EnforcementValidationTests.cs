using Tessera.Broker.Enforcement;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

public sealed class EnforcementValidationTests
{
    private static EnforcementEvent Event() => new() { AgentId = "agent-1", Outcome = "denied", ErrorCode = "MISSING_SCOPE", Method = "GET", Route = "/orders", Count = 3 };

    [Fact]
    public void CheckReport_AcceptsWellFormedEvents_AndAnEmptyList()
    {
        Assert.Null(EnforcementValidation.CheckReport(new EnforcementReport { Events = [Event(), Event()] }));
        Assert.Null(EnforcementValidation.CheckReport(new EnforcementReport { Events = [] }));
    }

    [Fact]
    public void CheckReport_RefusesAMissingOrTooLongList()
    {
        var missing = EnforcementValidation.CheckReport(new EnforcementReport());
        Assert.Equal(ErrorCatalog.InvalidRequest, missing!.Error);
        Assert.Equal("events must be a list of at most 1000 outcomes", missing.Detail);

        var events = new EnforcementEvent?[1001];
        Array.Fill(events, Event());
        Assert.NotNull(EnforcementValidation.CheckReport(new EnforcementReport { Events = events }));
    }

    [Fact]
    public void CheckReport_NamesTheFirstBadEventByIndex()
    {
        var bad = Event();
        bad.Method = "get";

        var failure = EnforcementValidation.CheckReport(new EnforcementReport { Events = [Event(), bad, null] });

        Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
        Assert.Equal("events[1]: method must be an upper-case HTTP method", failure.Detail);
    }

    [Fact]
    public void CheckEvent_SaysWhatIsWrong()
    {
        Assert.Equal("must be an object", EnforcementValidation.CheckEvent(null));
        Assert.Equal("agent_id is required", EnforcementValidation.CheckEvent(With(e => e.AgentId = "a\u0000b")));
        Assert.Equal("outcome must be allowed or denied", EnforcementValidation.CheckEvent(With(e => e.Outcome = "Denied")));
        Assert.Equal("route is required (at most 1024 characters)", EnforcementValidation.CheckEvent(With(e => e.Route = "")));
        Assert.Equal("error_code is at most 64 characters", EnforcementValidation.CheckEvent(With(e => e.ErrorCode = new string('E', 65))));
        Assert.Equal("count must be between 1 and 1000000", EnforcementValidation.CheckEvent(With(e => e.Count = 0)));
        Assert.Null(EnforcementValidation.CheckEvent(With(e => e.Count = null)));
    }

    private static EnforcementEvent With(Action<EnforcementEvent> change)
    {
        var e = Event();
        change(e);
        return e;
    }
}
