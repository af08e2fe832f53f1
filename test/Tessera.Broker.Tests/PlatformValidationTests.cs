using Tessera.Broker.Platforms;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Tests;

/// <summary>The validation classes of the admin surface, on their own: error codes and detail text.</summary>
public sealed class PlatformValidationTests
{
    [Fact]
    public void CheckCreate_NormalizesFields_WhenRequestIsValid()
    {
        var fields = PlatformValidation.CheckCreate(new CreatePlatformRequest
        {
            PlatformId = "billing",
            Hostnames = [" API.Billing.example.com ", "api.billing.example.com"],
            Scopes = ["read:orders:*"],
        });

        Assert.Null(fields.Failure);
        Assert.Equal("billing", fields.Name);
        Assert.Equal(["api.billing.example.com"], fields.Hostnames);
        Assert.Equal("tessera", fields.Profile);
    }

    [Theory]
    [InlineData(null, "platform_id is required")]
    [InlineData("", "platform_id is required")]
    [InlineData("Billing", "invalid platform_id: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters")]
    [InlineData("bill--ing", "invalid platform_id: lowercase letters, digits and single hyphens, starting with a letter, at most 64 characters")]
    public void CheckCreate_RefusesId_BeforeTheOtherFields(string? id, string detail)
    {
        var fields = PlatformValidation.CheckCreate(new CreatePlatformRequest { PlatformId = id, Scopes = ["admin:x:*"], TokenProfile = "nope" });

        Assert.Equal("invalid_request", fields.Failure!.Error.Code);
        Assert.Equal(detail, fields.Failure.Detail);
    }

    [Fact]
    public void Check_RefusesHostWithScheme()
    {
        var fields = PlatformValidation.Check("Billing", ["https://api.example.com"], [], [], "tessera");

        Assert.Equal("invalid_request", fields.Failure!.Error.Code);
        Assert.Equal("hostnames: 'https://api.example.com' is not a host name (letters, digits, hyphens and dots; no scheme, port or path)", fields.Failure.Detail);
    }

    [Theory]
    [InlineData("admin:keys:*")]
    [InlineData("app:agents:*")]
    public void Check_RefusesReservedScopes(string scope)
    {
        var fields = PlatformValidation.Check("Billing", [], [scope], [], "tessera");

        Assert.Equal("invalid_scope_format", fields.Failure!.Error.Code);
        Assert.Equal($"scope '{scope}' is in a namespace reserved for the broker's own tokens", fields.Failure.Detail);
    }

    [Fact]
    public void Check_RefusesUnknownProfile()
    {
        var fields = PlatformValidation.Check("Billing", [], ["read:x:*"], [], "oauth");

        Assert.Equal("invalid_request", fields.Failure!.Error.Code);
        Assert.Equal("token_profile must be tessera or mudraid", fields.Failure.Detail);
    }

    [Fact]
    public void CheckUpdateShape_RefusesEmptyUpdate()
    {
        var failure = PlatformValidation.CheckUpdateShape(new UpdatePlatformRequest());

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("at least one of name, hostnames, scopes, routes or token_profile must be provided", failure.Detail);
        Assert.Null(PlatformValidation.CheckUpdateShape(new UpdatePlatformRequest { Name = "x" }));
    }

    [Fact]
    public void CheckUpdate_ChecksTheMergedPlatform()
    {
        var platform = new PlatformRecord
        {
            PlatformId = "billing", Name = "Billing", Hostnames = ["api.example.com"], Scopes = ["read:orders:*"], RoutesJson = "[]",
            TokenProfile = "tessera", Version = 3, CreatedAtMs = 1, UpdatedAtMs = 2,
        };

        var fields = PlatformValidation.CheckUpdate(new UpdatePlatformRequest { Name = " Billing API " }, platform, []);

        Assert.Null(fields.Failure);
        Assert.Equal("Billing API", fields.Name);
        Assert.Equal(["api.example.com"], fields.Hostnames);
        Assert.Equal(["read:orders:*"], fields.Scopes);
    }

    [Fact]
    public void WiderGrant_NamesTheFirstGrantTheNewScopesDoNotCover()
    {
        GrantRecord[] grants = [new("agent-a", "billing", ["read:orders:*"], 0), new("agent-b", "billing", ["write:orders:*"], 0)];

        var failure = PlatformValidation.WiderGrant(grants, ["read:orders:*"]);

        Assert.Equal("conflict", failure!.Error.Code);
        Assert.Equal("agent agent-b holds 'write:orders:*' on this platform, which the new scopes do not cover", failure.Detail);
        Assert.Null(PlatformValidation.WiderGrant(grants, ["read:orders:*", "write:orders:*"]));
    }
}
