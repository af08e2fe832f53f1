namespace Tessera.Broker.Keys;

/// <summary>
/// The JWK set at <c>/.well-known/jwks.json</c>, as the OpenAPI document describes it. The endpoint
/// writes it by hand (no intermediate objects); a test holds the two to the same member names.
/// </summary>
/// <param name="Keys">Every key the broker still publishes, the active one first.</param>
internal sealed record JwksDocument(JwkDocument[] Keys);

/// <summary>One public key of the JWK set (RFC 7517); the members of its key type only.</summary>
/// <param name="Kty">Key type: <c>OKP</c>, <c>EC</c> or <c>RSA</c>.</param>
/// <param name="Crv">Curve (<c>OKP</c>, <c>EC</c>).</param>
/// <param name="X">Public x coordinate (<c>OKP</c>, <c>EC</c>).</param>
/// <param name="Y">Public y coordinate (<c>EC</c>).</param>
/// <param name="N">Modulus (<c>RSA</c>).</param>
/// <param name="E">Exponent (<c>RSA</c>).</param>
/// <param name="Kid">Key id: the key's RFC 7638 thumbprint.</param>
/// <param name="Use">Always <c>sig</c>.</param>
/// <param name="Alg">The algorithm the key signs with.</param>
internal sealed record JwkDocument(string Kty, string? Crv, string? X, string? Y, string? N, string? E, string Kid, string Use, string Alg);

/// <summary>
/// The issuer metadata at <c>/.well-known/tessera-configuration</c>, as the OpenAPI document describes
/// it. The endpoint writes it by hand; a test holds the two to the same member names.
/// </summary>
/// <param name="Issuer">The configured issuer.</param>
/// <param name="JwksUri">The JWK set.</param>
/// <param name="ChallengeEndpoint">Registration nonces.</param>
/// <param name="AgentRegistrationEndpoint">Agent registration.</param>
/// <param name="TokenValidationEndpoint">Token validation.</param>
/// <param name="TokenRenewalEndpoint">Token renewal.</param>
/// <param name="TokenReleaseEndpoint">Token release.</param>
/// <param name="TokenEndpoint">OAuth 2.0 client credentials.</param>
/// <param name="TokenEndpointAuthMethodsSupported">Client authentication methods of the token endpoint.</param>
/// <param name="TokenEndpointAuthSigningAlgValuesSupported">Algorithms of client assertions.</param>
/// <param name="GrantTypesSupported">Grant types of the token endpoint.</param>
/// <param name="PlatformsEndpoint">The platforms an agent may call.</param>
/// <param name="EnforcementReportsEndpoint">Verifiers' enforcement reports.</param>
/// <param name="RevocationFeedEndpoint">The revocation feed.</param>
/// <param name="RevocationEntryLeewaySeconds">How long revocation entries outlive their tokens' exp; a verifier's exp leeway must not exceed it.</param>
/// <param name="RevocationFeedRequiresAuthentication">Whether the revocation feed asks for credentials.</param>
/// <param name="TokenSigningAlgValuesSupported">The algorithms the broker signs tokens with.</param>
/// <param name="AccessTokenType">The <c>typ</c> of access tokens.</param>
/// <param name="SpiffeTrustDomain">The SPIFFE trust domain of agent ids.</param>
/// <param name="ServiceDocumentation">The OpenAPI document.</param>
internal sealed record TesseraConfigurationDocument(
    string Issuer,
    string JwksUri,
    string ChallengeEndpoint,
    string AgentRegistrationEndpoint,
    string TokenValidationEndpoint,
    string TokenRenewalEndpoint,
    string TokenReleaseEndpoint,
    string TokenEndpoint,
    string[] TokenEndpointAuthMethodsSupported,
    string[] TokenEndpointAuthSigningAlgValuesSupported,
    string[] GrantTypesSupported,
    string PlatformsEndpoint,
    string EnforcementReportsEndpoint,
    string RevocationFeedEndpoint,
    int RevocationEntryLeewaySeconds,
    bool RevocationFeedRequiresAuthentication,
    string[] TokenSigningAlgValuesSupported,
    string AccessTokenType,
    string SpiffeTrustDomain,
    string ServiceDocumentation);

/// <summary>The broker's signing keys at <c>/v1/admin/keys</c> (written by hand, described by this type).</summary>
/// <param name="ActiveKid">The key that signs now.</param>
/// <param name="PreviousKid">After a rotation: the key that signed before.</param>
/// <param name="Keys">The default ring: the active key first, then retiring ones.</param>
/// <param name="ProfileKeys">The mudraid profile's RS256 ring, when it exists.</param>
internal sealed record KeyListDocument(string ActiveKid, string? PreviousKid, KeyStatusDocument[] Keys, KeyStatusDocument[]? ProfileKeys);

/// <summary>One signing key of <see cref="KeyListDocument"/>.</summary>
/// <param name="Kid">Key id.</param>
/// <param name="Alg">Algorithm.</param>
/// <param name="Status"><c>active</c> or <c>retiring</c>.</param>
/// <param name="CreatedAt">When it was created (RFC 3339).</param>
/// <param name="RetiresAt">When a retiring key leaves the JWK set (RFC 3339).</param>
internal sealed record KeyStatusDocument(string Kid, string Alg, string Status, string CreatedAt, string? RetiresAt);
