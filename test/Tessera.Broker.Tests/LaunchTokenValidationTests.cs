using Tessera.Broker.Admin;
using Tessera.Broker.Configuration;
using Tessera.Scopes;

namespace Tessera.Broker.Tests;

/// <summary><see cref="LaunchTokenValidation"/> and <see cref="AdminAuthValidation"/> on their own.</summary>
public sealed class LaunchTokenValidationTests
{
    private static readonly BrokerOptions Options = new() { DefaultTtl = 300, MaxTtl = 3600 };

    [Fact]
    public void Check_AppliesDefaults_AndDeduplicatesAudiences()
    {
        var fields = LaunchTokenValidation.Check(new LaunchTokenRequest { AgentName = "worker", AllowedScope = ["read:data:*"], AllowedAudience = ["a", "a", "b"] }, Options);

        Assert.Null(fields.Failure);
        Assert.Equal(300, fields.MaxTtl);
        Assert.Equal(30, fields.Ttl);
        Assert.True(fields.SingleUse);
        Assert.Equal(["a", "b"], fields.AllowedAudience);
    }

    [Theory]
    [InlineData(null, new[] { "read:data:*" }, null, null, "invalid_request", "agent_name is required")]
    [InlineData("worker", new string[0], null, null, "invalid_request", "allowed_scope must not be empty")]
    [InlineData("worker", new[] { "admin:keys:*" }, null, null, "invalid_scope_format", "scope 'admin:keys:*' is in the admin: namespace, which is reserved for the broker's own admin tokens")]
    [InlineData("worker", new[] { "read:data:*" }, 0, null, "invalid_ttl", "max_ttl must be a positive number of seconds")]
    [InlineData("worker", new[] { "read:data:*" }, 7200, null, "invalid_ttl", "max_ttl exceeds the broker's ceiling of 3600 seconds")]
    [InlineData("worker", new[] { "read:data:*" }, null, 604801, "invalid_ttl", "ttl must be between 1 and 604800 seconds")]
    public void Check_RefusesTheFirstBadField(string? name, string[] scopes, int? maxTtl, int? ttl, string code, string detail)
    {
        var fields = LaunchTokenValidation.Check(new LaunchTokenRequest { AgentName = name, AllowedScope = scopes, MaxTtl = maxTtl, Ttl = ttl }, Options);

        Assert.Equal(code, fields.Failure!.Error.Code);
        Assert.Equal(detail, fields.Failure.Detail);
    }

    [Fact]
    public void CheckCeiling_NamesTheScopeOutsideIt()
    {
        var failure = LaunchTokenValidation.CheckCeiling(["read:data:*", "write:data:*"], ScopeSet.Of("read:data:*"));

        Assert.Equal("scope_violation", failure!.Error.Code);
        Assert.Equal("requested scopes exceed app ceiling; allowed: [read:data:*]", failure.Detail);
        Assert.Equal("'write:data:*' is outside the app's scope ceiling", failure.Hint);
        Assert.Null(LaunchTokenValidation.CheckCeiling(["read:data:*"], ScopeSet.Of("read:data:*")));
    }

    [Fact]
    public void AdminAuth_RefusesLegacyBody_ThenMissingSecret()
    {
        var legacy = AdminAuthValidation.Check(new AdminAuthRequest { ClientId = "admin", ClientSecret = "x" });
        var missing = AdminAuthValidation.Check(new AdminAuthRequest { Secret = "" });

        Assert.Equal("invalid_request", legacy!.Error.Code);
        Assert.Equal("Admin auth format changed. Use {\"secret\": \"...\"} instead of client_id/client_secret", legacy.Detail);
        Assert.Equal("secret is required", missing!.Detail);
        Assert.Null(AdminAuthValidation.Check(new AdminAuthRequest { Secret = "s" }));
    }
}
