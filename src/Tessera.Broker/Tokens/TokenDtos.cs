using System.Text.Json.Serialization;

namespace Tessera.Broker.Tokens;

internal sealed class ValidateRequest
{
    public string? Token { get; set; }
}

internal sealed record ClaimsView(
    string Iss,
    string Sub,
    string[] Aud,
    long Exp,
    long Nbf,
    long Iat,
    string Jti,
    string[] Scope,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId,
    string TaskId,
    string OrchId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AppId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Delegation.DelegationHopView[]? DelegationChain,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ChainHash);

internal sealed record ValidateSuccess(bool Valid, ClaimsView Claims);

internal sealed record ValidateFailure(bool Valid, string Error);

internal sealed record RenewResponse(string AccessToken, int ExpiresIn, string TokenType);
