using Tessera.Errors;

namespace Tessera.Broker.Tokens;

/// <summary>Validation of the token endpoints' requests (<c>POST /v1/token/validate</c>; renew and release read no body).</summary>
internal static class TokenValidation
{
    /// <summary><c>token</c> is required: <c>400 invalid_request</c> without it.</summary>
    public static Failure? CheckValidateRequest(ValidateRequest request) =>
        string.IsNullOrEmpty(request.Token) ? new Failure(ErrorCatalog.InvalidRequest, "token field is required") : null;
}
