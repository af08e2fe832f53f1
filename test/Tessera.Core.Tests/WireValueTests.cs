using Tessera.Audit;
using Tessera.Identity;

namespace Tessera.Core.Tests;

/// <summary>Stored and exported values never change: audit outcomes, client kinds and platform/app statuses.</summary>
public sealed class WireValueTests
{
    [Fact]
    public void Constants_KeepTheirWireValues_Always()
    {
        Assert.Equal(["success", "denied"], new[] { AuditOutcomes.Success, AuditOutcomes.Denied });
        Assert.Equal(["agent", "platform", "app"], new[] { ClientKinds.Agent, ClientKinds.Platform, ClientKinds.App });
        Assert.Equal(["active", "inactive"], new[] { ClientStatuses.Active, ClientStatuses.Inactive });
    }

    [Theory]
    [InlineData("success", true)]
    [InlineData("denied", true)]
    [InlineData("Denied", false)]
    [InlineData("allowed", false)]
    [InlineData(null, false)]
    public void AuditOutcomesIsKnown_MatchesExactly_WhenGivenValue(string? value, bool known) =>
        Assert.Equal(known, AuditOutcomes.IsKnown(value));

    [Theory]
    [InlineData("agent", true)]
    [InlineData("platform", true)]
    [InlineData("app", true)]
    [InlineData("App", false)]
    [InlineData("", false)]
    public void ClientKindsIsKnown_MatchesExactly_WhenGivenValue(string value, bool known) =>
        Assert.Equal(known, ClientKinds.IsKnown(value));

    [Theory]
    [InlineData("active", true)]
    [InlineData("inactive", true)]
    [InlineData("suspended", false)]
    [InlineData("ACTIVE", false)]
    public void ClientStatusesIsKnown_MatchesExactly_WhenGivenValue(string value, bool known) =>
        Assert.Equal(known, ClientStatuses.IsKnown(value));
}
