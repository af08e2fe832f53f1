using Tessera.Broker.Delegation;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

public sealed class DelegationValidationTests
{
    private const string Delegate = "spiffe://tessera.test/agent/orch-1/task-1/0123456789abcdef";

    [Fact]
    public void CheckRequest_AcceptsAWellFormedRequest_WithTheDefaultTtl()
    {
        var request = new DelegateRequest { DelegateTo = Delegate, Scope = ["read:data:x"] };

        Assert.Null(DelegationValidation.CheckRequest(request, out var requested, out int ttl));
        Assert.Equal(["read:data:x"], requested.ToArray());
        Assert.Equal(60, ttl);
    }

    [Fact]
    public void CheckRequest_RefusesAMissingOrMalformedDelegate()
    {
        var missing = DelegationValidation.CheckRequest(new DelegateRequest { Scope = ["read:data:x"] }, out _, out _);
        Assert.Equal(ErrorCatalog.InvalidRequest, missing!.Error);
        Assert.Equal("delegate_to is required", missing.Detail);

        var malformed = DelegationValidation.CheckRequest(new DelegateRequest { DelegateTo = "agent-7", Scope = ["read:data:x"] }, out _, out _);
        Assert.Equal(ErrorCatalog.InvalidRequest, malformed!.Error);
        Assert.Equal("delegate_to must be an agent SPIFFE ID (spiffe://<trust-domain>/agent/<orch>/<task>/<instance>)", malformed.Detail);
    }

    [Fact]
    public void CheckRequest_RefusesAnEmptyMalformedOrReservedScope()
    {
        var empty = DelegationValidation.CheckRequest(new DelegateRequest { DelegateTo = Delegate, Scope = [] }, out _, out _);
        Assert.Equal("scope must not be empty", empty!.Detail);

        var malformed = DelegationValidation.CheckRequest(new DelegateRequest { DelegateTo = Delegate, Scope = ["nope"] }, out _, out _);
        Assert.Equal(ErrorCatalog.InvalidScopeFormat, malformed!.Error);

        var reserved = DelegationValidation.CheckRequest(new DelegateRequest { DelegateTo = Delegate, Scope = ["app:launch-tokens:create"] }, out _, out _);
        Assert.Equal(ErrorCatalog.ScopeViolation, reserved!.Error);
        Assert.Equal("'app:launch-tokens:create' is under admin: or app:, which no agent token may carry", reserved.Hint);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void CheckRequest_RefusesANonPositiveTtl(int ttl)
    {
        var failure = DelegationValidation.CheckRequest(new DelegateRequest { DelegateTo = Delegate, Scope = ["read:data:x"], Ttl = ttl }, out _, out _);

        Assert.Equal(ErrorCatalog.InvalidTtl, failure!.Error);
        Assert.Equal("ttl must be a positive number of seconds", failure.Detail);
    }
}
