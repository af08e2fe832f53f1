namespace Tessera.Tokens;

/// <summary>
/// The claims of a Tessera access token (RFC 9068 names where one exists). Times are Unix
/// seconds. Immutable; build with an object initializer.
/// </summary>
public sealed record AccessTokenClaims
{
    /// <summary><c>iss</c>: the broker that issued the token.</summary>
    public required string Issuer { get; init; }

    /// <summary><c>sub</c>: the agent's SPIFFE ID, or <c>admin</c>.</summary>
    public required string Subject { get; init; }

    /// <summary><c>aud</c>: the platform(s) the token is for. Written as a string when there is one.</summary>
    public required IReadOnlyList<string> Audience { get; init; }

    /// <summary><c>exp</c>.</summary>
    public required long ExpiresAt { get; init; }

    /// <summary><c>nbf</c>.</summary>
    public required long NotBefore { get; init; }

    /// <summary><c>iat</c>.</summary>
    public required long IssuedAt { get; init; }

    /// <summary><c>jti</c>: 32 lowercase hex characters.</summary>
    public required string JwtId { get; init; }

    /// <summary>The granted scopes (the <c>scope</c> claim, space-delimited on the wire).</summary>
    public required IReadOnlyList<string> Scope { get; init; }

    /// <summary><c>client_id</c> (RFC 9068): the client the token was issued to.</summary>
    public string? ClientId { get; init; }

    /// <summary><c>task_id</c>: the task the agent was launched for.</summary>
    public string? TaskId { get; init; }

    /// <summary><c>orch_id</c>: the orchestrator that launched the agent.</summary>
    public string? OrchId { get; init; }

    /// <summary><c>app_id</c>: the app whose launch token (or credentials) the token descends from, if any.</summary>
    public string? AppId { get; init; }

    /// <summary>
    /// <c>delegation_chain</c>: the hops that led to this token, root first; empty when the token
    /// was not delegated. The actors also travel as RFC 8693 nested <c>act</c> claims.
    /// </summary>
    public IReadOnlyList<DelegationRecord> DelegationChain { get; init; } = [];

    /// <summary>Also write the scopes as a JSON array claim <c>scopes</c> (the MudraID token profile).</summary>
    public bool ScopesArray { get; init; }

    /// <summary><c>chain_hash</c>: SHA-256 (hex) of the canonical delegation chain, or null.</summary>
    public string? ChainHash { get; init; }

    /// <summary>Delegation depth: the number of hops.</summary>
    public int DelegationDepth => DelegationChain.Count;

    /// <summary>The agent at the root of the delegation chain, or null when not delegated.</summary>
    public string? ChainRoot => DelegationChain.Count > 0 ? DelegationChain[0].Agent : null;

    /// <summary>Lifetime in seconds as issued (<c>exp - iat</c>).</summary>
    public long Lifetime => ExpiresAt - IssuedAt;
}
