using Tessera.Broker.Credentials;

namespace Tessera.Broker.Tests;

/// <summary>The checks of a MudraID SDK token request, without a broker.</summary>
public sealed class MudraIdCompatValidationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Token_RequiresAPlatform(string? platform)
    {
        var failure = MudraIdCompatValidation.Token(new CompatRequest { PlatformId = platform }, out _);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal(400, failure.Error.Status);
        Assert.Equal("platform_id is required", failure.Detail);
    }

    [Fact]
    public void Token_RefusesANullScope()
    {
        var failure = MudraIdCompatValidation.Token(new CompatRequest { PlatformId = "orders", Scopes = ["orders:read", null] }, out _);

        Assert.Equal("scopes must be a list of strings", failure!.Detail);
    }

    [Fact]
    public void Token_AsksForTheWholeGrant_WhenScopesAreEmptyOrAbsent()
    {
        Assert.Null(MudraIdCompatValidation.Token(new CompatRequest { PlatformId = "orders", Scopes = [] }, out string? scope));
        Assert.Null(scope);
        Assert.Null(MudraIdCompatValidation.Token(new CompatRequest { PlatformId = "orders" }, out scope));
        Assert.Null(scope);
        Assert.Null(MudraIdCompatValidation.Token(new CompatRequest { PlatformId = "orders", Scopes = ["a:read", "b:read"] }, out scope));
        Assert.Equal("a:read b:read", scope);
    }
}
