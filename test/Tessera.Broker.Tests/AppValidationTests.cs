using Tessera.Broker.Apps;

namespace Tessera.Broker.Tests;

/// <summary><see cref="AppValidation"/> on its own.</summary>
public sealed class AppValidationTests
{
    [Fact]
    public void CheckCreate_DefaultsTheTokenLifetime()
    {
        var fields = AppValidation.CheckCreate(new CreateAppRequest { Name = "orchestrator", Scopes = ["read:data:*"] });

        Assert.Null(fields.Failure);
        Assert.Equal(1800, fields.TokenTtl);
        Assert.Equal(["read:data:*"], fields.Scopes!.ToArray());
    }

    [Theory]
    [InlineData(null, "invalid_request", "name is required")]
    [InlineData("Orchestrator", "invalid_request", "invalid app name: must be lowercase letters, digits, and hyphens")]
    public void CheckCreate_RefusesName(string? name, string code, string detail)
    {
        var fields = AppValidation.CheckCreate(new CreateAppRequest { Name = name, Scopes = ["read:data:*"] });

        Assert.Equal(code, fields.Failure!.Error.Code);
        Assert.Equal(detail, fields.Failure.Detail);
    }

    [Theory]
    [InlineData(new string[0], "invalid_request", "scopes must not be empty")]
    [InlineData(new[] { "admin:keys:*" }, "invalid_scope_format", "scope 'admin:keys:*' is in the admin: namespace, which is reserved for the broker's own admin tokens")]
    [InlineData(new[] { "app:agents:*" }, "invalid_scope_format", "scope 'app:agents:*' is in the app: namespace, which is reserved for app tokens")]
    public void CheckCreate_RefusesScopes(string[] scopes, string code, string detail)
    {
        var fields = AppValidation.CheckCreate(new CreateAppRequest { Name = "orchestrator", Scopes = scopes });

        Assert.Equal(code, fields.Failure!.Error.Code);
        Assert.Equal(detail, fields.Failure.Detail);
    }

    [Theory]
    [InlineData(59)]
    [InlineData(86401)]
    public void CheckUpdate_RefusesTokenLifetime_OutsideItsRange(int ttl)
    {
        var fields = AppValidation.CheckUpdate(new UpdateAppRequest { TokenTtl = ttl });

        Assert.Equal("invalid_ttl", fields.Failure!.Error.Code);
        Assert.Equal($"invalid token TTL: must be between 60 and 86400 seconds, got {ttl}", fields.Failure.Detail);
    }

    [Fact]
    public void CheckUpdate_RefusesEmptyUpdate()
    {
        var fields = AppValidation.CheckUpdate(new UpdateAppRequest());

        Assert.Equal("invalid_request", fields.Failure!.Error.Code);
        Assert.Equal("at least one of scopes or token_ttl must be provided", fields.Failure.Detail);
    }
}
