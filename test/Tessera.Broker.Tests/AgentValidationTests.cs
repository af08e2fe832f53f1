using System.Text.Json;
using Tessera.Broker.Apps;
using Tessera.Broker.Credentials;

namespace Tessera.Broker.Tests;

/// <summary>The checks of the admin agent request bodies, without a broker.</summary>
public sealed class AgentValidationTests
{
    [Fact]
    public void Create_AcceptsAndNormalizes_WhenRequestIsValid()
    {
        var request = new CreateAgentRequest { Name = "billing-bot", Owner = "team", Metadata = new() { ["env"] = "prod" }, TokenTtl = 600 };

        Assert.Null(AgentValidation.Create(request, out var details));
        Assert.Equal("team", details.Owner);
        Assert.Equal("{\"env\":\"prod\"}", details.MetadataJson);
        Assert.Equal("", details.Jwks);
    }

    [Theory]
    [InlineData(null, "invalid_request", "name is required")]
    [InlineData("", "invalid_request", "name is required")]
    [InlineData("Bad_Name", "invalid_request", "invalid agent name: must be lowercase letters, digits, and hyphens")]
    [InlineData("double--hyphen", "invalid_request", "invalid agent name: must be lowercase letters, digits, and hyphens")]
    public void Create_RefusesTheName_WhenItBreaksTheRule(string? name, string code, string detail)
    {
        var failure = AgentValidation.Create(new CreateAgentRequest { Name = name, TokenTtl = 5 }, out _);

        Assert.NotNull(failure);
        Assert.Equal(code, failure.Error.Code);
        Assert.Equal(detail, failure.Detail);
    }

    [Fact]
    public void Create_RefusesTheTtl_WhenOutOfRange()
    {
        var failure = AgentValidation.Create(new CreateAgentRequest { Name = "n", TokenTtl = 59 }, out _);

        Assert.Equal("invalid_ttl", failure!.Error.Code);
        Assert.Equal("invalid token TTL: must be between 60 and 86400 seconds (0 = the broker's exchange_ttl), got 59", failure.Detail);
    }

    [Fact]
    public void Create_RefusesTheJwks_WhenAKeyIsPrivate()
    {
        using var doc = JsonDocument.Parse("""{"keys":[{"kty":"OKP","crv":"Ed25519","x":"V0YFg7uC2RPosKLt2Qw1EvfZX9WKtPsV0LBiQuxNopM","d":"AAAA","kid":"k","alg":"EdDSA"}]}""");
        var failure = AgentValidation.Create(new CreateAgentRequest { Name = "n", Jwks = doc.RootElement.Clone() }, out _);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("jwks: keys[0] contains private key material; send the public key only", failure.Detail);
    }

    [Fact]
    public void Update_RefusesAnEmptyRequest()
    {
        var failure = AgentValidation.Update(new UpdateAgentRequest(), out _);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("at least one of owner, metadata, token_ttl or jwks must be provided", failure.Detail);
    }

    [Fact]
    public void Update_RefusesMetadata_WhenAValueIsNull()
    {
        var failure = AgentValidation.Update(new UpdateAgentRequest { Metadata = new() { ["k"] = null } }, out _);

        Assert.Equal("metadata: keys of 1 to 64 characters, string values of at most 1024", failure!.Detail);
    }

    [Theory]
    [InlineData(null, new[] { "a:read" }, "invalid_request", "platform_id is required")]
    [InlineData("orders", new string[0], "invalid_request", "scopes must not be empty")]
    [InlineData("orders", new[] { "Not A Scope" }, "invalid_scope_format", null)]
    public void Grant_Refuses_WhenPlatformOrScopesAreMissingOrMalformed(string? platform, string[] scopes, string code, string? detail)
    {
        var failure = AgentValidation.Grant(new GrantRequest { PlatformId = platform, Scopes = scopes }, out _);

        Assert.Equal(code, failure!.Error.Code);
        if (detail is not null)
        {
            Assert.Equal(detail, failure.Detail);
        }
    }

    [Fact]
    public void Grant_ParsesTheScopes_WhenValid()
    {
        Assert.Null(AgentValidation.Grant(new GrantRequest { PlatformId = "orders", Scopes = ["orders:read", "orders:write"] }, out var scopes));
        Assert.Equal(2, scopes.Count);
    }

    [Fact]
    public void Reason_IsTheDefault_WhenNoneIsGiven()
    {
        Assert.Null(AgentValidation.Reason(null, "suspended by an operator", out string reason));
        Assert.Equal("suspended by an operator", reason);
        Assert.Null(AgentValidation.Reason(new StatusChangeRequest { Reason = "incident 7" }, "x", out reason));
        Assert.Equal("incident 7", reason);
    }

    [Theory]
    [InlineData("tab\\there")]
    [InlineData("zero\\u200bwidth")]
    public void Reason_Refuses_WhenNotPrintable(string escaped)
    {
        string given = System.Text.RegularExpressions.Regex.Unescape(escaped);
        var failure = AgentValidation.Reason(new StatusChangeRequest { Reason = given }, "x", out _);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("reason must be at most 256 printable characters", failure.Detail);
    }

    [Theory]
    [InlineData(null, 86400, 86400, true)]
    [InlineData(0, 86400, 0, true)]
    [InlineData(-1, 86400, -1, false)]
    [InlineData(2592001, 86400, 2592001, false)]
    public void Grace_IsTheRequestsOrTheDefault_WithinThirtyDays(int? sent, int fallback, int expected, bool valid)
    {
        var failure = AgentValidation.Grace(sent is null ? null : new RotateSecretRequest { GraceSeconds = sent }, fallback, out int grace);

        Assert.Equal(expected, grace);
        Assert.Equal(valid, failure is null);
        if (!valid)
        {
            Assert.Equal("grace_seconds must be between 0 and 2592000", failure!.Detail);
        }
    }
}
