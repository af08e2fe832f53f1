using System.Text;
using Tessera.Broker.Credentials;

namespace Tessera.Broker.Tests;

/// <summary>Reading and checking a <c>POST /v1/token</c> request, without a broker.</summary>
public sealed class TokenExchangeValidationTests
{
    [Fact]
    public void ParseForm_DecodesEachParameter_WhenWellFormed()
    {
        var (form, failure) = TokenExchangeValidation.ParseForm("grant_type=client_credentials&scope=a%3Aread+b%3Aread&resource="u8);

        Assert.Null(failure);
        Assert.Equal("client_credentials", form!["grant_type"]);
        Assert.Equal("a:read b:read", form["scope"]);
        Assert.Equal("", form["resource"]);
    }

    [Fact]
    public void ParseForm_RefusesARepeatedParameter()
    {
        var (_, failure) = TokenExchangeValidation.ParseForm("scope=a&scope=b"u8);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("parameter 'scope' is repeated", failure.Detail);
    }

    [Fact]
    public void ParseForm_RefusesInvalidUtf8()
    {
        var (_, failure) = TokenExchangeValidation.ParseForm([(byte)'a', (byte)'=', 0xC3, 0x28]);

        Assert.Equal("the form body is not valid UTF-8", failure!.Detail);
    }

    [Theory]
    [InlineData("""{"grant_type":1}""", "malformed JSON body: field 'grant_type' must be a string")]
    [InlineData("""["grant_type"]""", "malformed JSON body")]
    [InlineData("""{"scope":"a","scope":"b"}""", "parameter 'scope' is repeated")]
    public void ParseJson_Refuses_WhenNotAnObjectOfStrings(string json, string detail)
    {
        var (_, failure) = TokenExchangeValidation.ParseJson(Encoding.UTF8.GetBytes(json));

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal(detail, failure.Detail);
    }

    [Fact]
    public void ParseJson_LeavesNullMembersOut()
    {
        var (form, failure) = TokenExchangeValidation.ParseJson("""{"grant_type":"client_credentials","scope":null}"""u8);

        Assert.Null(failure);
        Assert.Equal(["grant_type"], form!.Keys);
    }

    [Theory]
    [InlineData(null, "invalid_request", "grant_type is required")]
    [InlineData("password", "unsupported_grant_type", "only grant_type=client_credentials is supported")]
    public void GrantType_Refuses_WhenMissingOrNotClientCredentials(string? grantType, string code, string detail)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (grantType is not null)
        {
            form["grant_type"] = grantType;
        }

        var failure = TokenExchangeValidation.GrantType(form);

        Assert.Equal(code, failure!.Error.Code);
        Assert.Equal(detail, failure.Detail);
        Assert.Null(TokenExchangeValidation.GrantType(new() { ["grant_type"] = "client_credentials" }));
    }

    [Fact]
    public void Credentials_RefusesTwoMethods()
    {
        var failure = TokenExchangeValidation.Credentials("Basic YTpi", new() { ["client_secret"] = "s" }, out _);

        Assert.Equal("invalid_request", failure!.Error.Code);
        Assert.Equal("use exactly one client authentication method", failure.Detail);
    }

    [Fact]
    public void Credentials_RefusesNone()
    {
        var failure = TokenExchangeValidation.Credentials(null, [], out _);

        Assert.Equal("invalid_client", failure!.Error.Code);
        Assert.Equal("client authentication is required (HTTP Basic, client_secret, or a client assertion)", failure.Detail);
    }

    [Fact]
    public void Credentials_RefusesAnAssertionOfAnotherType()
    {
        var failure = TokenExchangeValidation.Credentials(null, new() { ["client_assertion"] = "x.y.z", ["client_assertion_type"] = "saml" }, out _);

        Assert.Equal("invalid_client", failure!.Error.Code);
        Assert.StartsWith("client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_ReadsBasic_AndRefusesADifferentBodyClientId()
    {
        string header = "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("tsr_kid_a:secret"));

        Assert.Null(TokenExchangeValidation.Credentials(header, [], out var credentials));
        Assert.Equal(new PresentedCredentials("tsr_kid_a", "secret", null, ClientAuthenticator.Basic), credentials);

        var failure = TokenExchangeValidation.Credentials(header, new() { ["client_id"] = "tsr_kid_b" }, out _);
        Assert.Equal("client_id in the body differs from the Basic credentials", failure!.Detail);
    }

    [Fact]
    public void Credentials_ReadsAPostedSecret()
    {
        Assert.Null(TokenExchangeValidation.Credentials("", new() { ["client_id"] = "k", ["client_secret"] = "s" }, out var credentials));
        Assert.Equal(new PresentedCredentials("k", "s", null, ClientAuthenticator.Post), credentials);
    }
}
