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

/// <summary>The <c>delegation_chain</c> of a response, from the chain a token carries.</summary>
internal static class DelegationViews
{
    /// <summary>One view per hop, root first.</summary>
    public static DelegationHopView[] Of(IReadOnlyList<Tessera.Tokens.DelegationRecord> chain)
    {
        var views = new DelegationHopView[chain.Count];
        for (int i = 0; i < views.Length; i++)
        {
            var hop = chain[i];
            views[i] = new DelegationHopView(hop.Agent, [.. hop.Scope], hop.DelegatedAt, hop.Signature, hop.KeyId);
        }

        return views;
    }
}
