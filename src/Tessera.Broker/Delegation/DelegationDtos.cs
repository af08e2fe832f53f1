using System.Text.Json.Serialization;

namespace Tessera.Broker.Delegation;

internal sealed class DelegateRequest
{
    public string? DelegateTo { get; set; }

    public string?[]? Scope { get; set; }

    public int? Ttl { get; set; }
}

internal sealed record DelegationHopView(
    string Agent,
    string[] Scope,
    string DelegatedAt,
    string Signature,
    [property: JsonPropertyName("kid")] string KeyId);

internal sealed record DelegateResponse(string AccessToken, int ExpiresIn, string TokenType, DelegationHopView[] DelegationChain, string ChainHash);
