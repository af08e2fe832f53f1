namespace Tessera.Tokens;

/// <summary>
/// One hop of a delegation chain as carried in a token's <c>delegation_chain</c> claim: which
/// agent delegated, the scope it held, when, and the broker's signature over those three, so a
/// verifier can check the chain offline with the broker's JWKS.
/// </summary>
/// <param name="Agent">The delegating agent's SPIFFE ID.</param>
/// <param name="Scope">The scope the delegator held when it delegated.</param>
/// <param name="DelegatedAt">When, RFC 3339 UTC with milliseconds.</param>
/// <param name="Signature">base64url signature by the broker key <paramref name="KeyId"/> over <see cref="SigningInput"/>.</param>
/// <param name="KeyId">The <c>kid</c> of the key that signed this hop.</param>
public sealed record DelegationRecord(string Agent, IReadOnlyList<string> Scope, string DelegatedAt, string Signature, string KeyId)
{
    /// <summary>The bytes the broker signs for a hop: <c>tessera-delegation-v1|agent|scope,scope|delegated_at</c>.</summary>
    public static byte[] SigningInput(string agent, IReadOnlyList<string> scope, string delegatedAt) =>
        System.Text.Encoding.UTF8.GetBytes($"tessera-delegation-v1|{agent}|{string.Join(',', scope)}|{delegatedAt}");
}
