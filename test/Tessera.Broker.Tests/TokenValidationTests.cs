using Tessera.Broker.Tokens;
using Tessera.Errors;

namespace Tessera.Broker.Tests;

public sealed class TokenValidationTests
{
    [Fact]
    public void CheckValidateRequest_RequiresTheToken()
    {
        Assert.Null(TokenValidation.CheckValidateRequest(new ValidateRequest { Token = "a.b.c" }));

        foreach (string? token in new[] { null, "" })
        {
            var failure = TokenValidation.CheckValidateRequest(new ValidateRequest { Token = token });
            Assert.Equal(ErrorCatalog.InvalidRequest, failure!.Error);
            Assert.Equal("token field is required", failure.Detail);
        }
    }
}
