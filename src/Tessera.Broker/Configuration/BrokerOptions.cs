using Microsoft.Extensions.Configuration;
using Tessera.Keys;

namespace Tessera.Broker.Configuration;

/// <summary>
/// Broker settings. Every key can come from the config file (flat, snake_case) or from the
/// environment as <c>TESSERA_</c> + the key in upper case; the environment wins.
/// </summary>
public sealed class BrokerOptions
{
    /// <summary>Configuration section name the options bind from (the root).</summary>
    public const string Section = "";

    /// <summary><c>TESSERA_ADMIN_SECRET</c>: the admin secret in plain text (hashed at start, never kept).</summary>
    [ConfigurationKeyName("admin_secret")]
    public string? AdminSecret { get; set; }

    /// <summary><c>TESSERA_ADMIN_SECRET_HASH</c>: the bcrypt hash of the admin secret (what <c>tessera init</c> writes).</summary>
    [ConfigurationKeyName("admin_secret_hash")]
    public string? AdminSecretHash { get; set; }

    /// <summary>
    /// <c>TESSERA_DB</c>: the SQLite database file, or a PostgreSQL database shared by several replicas
    /// (<c>postgres://user:password@host:port/database</c> or an Npgsql connection string <c>Host=...;...</c>).
    /// Default <c>./.tessera/tessera.db</c>.
    /// </summary>
    [ConfigurationKeyName("db")]
    public string Db { get; set; } = "./.tessera/tessera.db";

    /// <summary><c>TESSERA_SIGNING_KEY_PATH</c>: the signing key file (created 0600 on first start). Default <c>./.tessera/signing-key.json</c>.</summary>
    [ConfigurationKeyName("signing_key_path")]
    public string SigningKeyPath { get; set; } = "./.tessera/signing-key.json";

    /// <summary><c>TESSERA_SIGNING_ALG</c>: <c>EdDSA</c> (default), <c>ES256</c> or <c>RS256</c>.</summary>
    [ConfigurationKeyName("signing_alg")]
    public string SigningAlg { get; set; } = "EdDSA";

    /// <summary><c>TESSERA_DEFAULT_TTL</c>: default token lifetime and launch-policy max_ttl, seconds. Default 300.</summary>
    [ConfigurationKeyName("default_ttl")]
    public int DefaultTtl { get; set; } = 300;

    /// <summary><c>TESSERA_MAX_TTL</c>: ceiling on any token lifetime, seconds; 0 = no ceiling. Default 86400.</summary>
    [ConfigurationKeyName("max_ttl")]
    public int MaxTtl { get; set; } = 86400;

    /// <summary><c>TESSERA_ADMIN_TOKEN_TTL</c>: admin token lifetime, seconds. Default 300.</summary>
    [ConfigurationKeyName("admin_token_ttl")]
    public int AdminTokenTtl { get; set; } = 300;

    /// <summary><c>TESSERA_NONCE_TTL</c>: registration challenge lifetime, seconds. Default 30.</summary>
    [ConfigurationKeyName("nonce_ttl")]
    public int NonceTtl { get; set; } = 30;

    /// <summary><c>TESSERA_TRUST_DOMAIN</c>: SPIFFE trust domain of agent ids. Default <c>tessera.local</c>.</summary>
    [ConfigurationKeyName("trust_domain")]
    public string TrustDomain { get; set; } = "tessera.local";

    /// <summary>
    /// <c>TESSERA_ISSUER</c>: the <c>iss</c> of every token. Unset, <see cref="Hosting.BrokerApplication.Build"/> takes the
    /// first listen URL (after binding, for port 0) where its <see cref="Hosting.IssuerDefault"/> allows, and refuses
    /// to start otherwise; the value here (<c>http://127.0.0.1:8080</c>) is only for options made outside a host.
    /// </summary>
    [ConfigurationKeyName("issuer")]
    public string Issuer { get; set; } = "http://127.0.0.1:8080";

    /// <summary><c>TESSERA_BCRYPT_COST</c>: work factor used when hashing a plain-text admin secret. Default 12.</summary>
    [ConfigurationKeyName("bcrypt_cost")]
    public int BcryptCost { get; set; } = 12;

    /// <summary><c>TESSERA_ADMIN_AUTH_RATE</c>: admin auth requests per second per client address. Default 5.</summary>
    [ConfigurationKeyName("admin_auth_rate")]
    public int AdminAuthRate { get; set; } = 5;

    /// <summary><c>TESSERA_ADMIN_AUTH_BURST</c>: admin auth burst per client address. Default 10.</summary>
    [ConfigurationKeyName("admin_auth_burst")]
    public int AdminAuthBurst { get; set; } = 10;

    /// <summary><c>TESSERA_PUBLIC_RATE</c>: requests per second per client address to the unauthenticated endpoints (challenge, register, validate). Default 100.</summary>
    [ConfigurationKeyName("public_rate")]
    public int PublicRate { get; set; } = 100;

    /// <summary><c>TESSERA_PUBLIC_BURST</c>: burst for the unauthenticated endpoints per client address. Default 200.</summary>
    [ConfigurationKeyName("public_burst")]
    public int PublicBurst { get; set; } = 200;

    /// <summary><c>TESSERA_MAX_BODY_BYTES</c>: largest request body accepted. Default 1 MB.</summary>
    [ConfigurationKeyName("max_body_bytes")]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary><c>TESSERA_MAX_DELEGATION_DEPTH</c>: most hops a delegation chain may have. Default 5.</summary>
    [ConfigurationKeyName("max_delegation_depth")]
    public int MaxDelegationDepth { get; set; } = 5;

    /// <summary><c>TESSERA_AUDIT_CHECKPOINT_INTERVAL</c>: sign the audit chain head every this many events (and at shutdown). Default 1000.</summary>
    [ConfigurationKeyName("audit_checkpoint_interval")]
    public int AuditCheckpointInterval { get; set; } = 1000;

    /// <summary><c>TESSERA_KEY_ROTATION_INTERVAL</c>: rotate the signing key every this many seconds; 0 = only on request. Default 0.</summary>
    [ConfigurationKeyName("key_rotation_interval")]
    public int KeyRotationInterval { get; set; }

    /// <summary><c>TESSERA_TLS_MODE</c>: <c>none</c> (default), <c>tls</c> or <c>mtls</c>.</summary>
    [ConfigurationKeyName("tls_mode")]
    public string TlsMode { get; set; } = "none";

    /// <summary><c>TESSERA_TLS_CERT</c>: server certificate (PEM) for tls and mtls.</summary>
    [ConfigurationKeyName("tls_cert")]
    public string? TlsCert { get; set; }

    /// <summary><c>TESSERA_TLS_KEY</c>: server private key (PEM) for tls and mtls.</summary>
    [ConfigurationKeyName("tls_key")]
    public string? TlsKey { get; set; }

    /// <summary><c>TESSERA_TLS_CLIENT_CA</c>: CA certificate (PEM) that client certificates must chain to, for mtls.</summary>
    [ConfigurationKeyName("tls_client_ca")]
    public string? TlsClientCa { get; set; }

    /// <summary><c>TESSERA_SECRET_PEPPER</c>: base64 key (≥ 32 bytes) for the keyed hash of client secrets. When unset, a random one is kept in <see cref="SecretPepperPath"/>.</summary>
    [ConfigurationKeyName("secret_pepper")]
    public string? SecretPepper { get; set; }

    /// <summary><c>TESSERA_SECRET_PEPPER_PATH</c>: file holding the pepper when <see cref="SecretPepper"/> is unset (created 0600). Default <c>./.tessera/pepper</c>.</summary>
    [ConfigurationKeyName("secret_pepper_path")]
    public string SecretPepperPath { get; set; } = "./.tessera/pepper";

    /// <summary>
    /// <c>TESSERA_KEY_ENCRYPTION_KEY</c>: base64 of 32 bytes. With a PostgreSQL <see cref="Db"/>, the signing keys live in
    /// the database, sealed under it (AES-256-GCM), and every replica signs with and publishes the same keys; a rotation on
    /// one is used by all. The first replica imports an existing key file. Unset: the key files (every replica needs the same).
    /// </summary>
    [ConfigurationKeyName("key_encryption_key")]
    public string? KeyEncryptionKey { get; set; }

    /// <summary><c>TESSERA_APP_AUTH_RATE</c>: app authentications per minute per client_id. Default 10.</summary>
    [ConfigurationKeyName("app_auth_rate")]
    public int AppAuthRate { get; set; } = 10;

    /// <summary><c>TESSERA_APP_AUTH_BURST</c>: app authentication burst per client_id. Default 3.</summary>
    [ConfigurationKeyName("app_auth_burst")]
    public int AppAuthBurst { get; set; } = 3;

    /// <summary><c>TESSERA_SECRET_ROTATION_GRACE</c>: seconds the previous secret keeps working after a rotation, unless the request says otherwise. Default 86400.</summary>
    [ConfigurationKeyName("secret_rotation_grace")]
    public int SecretRotationGrace { get; set; } = 86400;

    /// <summary>Credential-endpoint requests (token, discovery, enforcement reports, app auth) per second per client address (<c>TESSERA_TOKEN_ADDRESS_RATE</c>).</summary>
    [ConfigurationKeyName("token_address_rate")]
    public int TokenAddressRate { get; set; } = 50;

    /// <summary>Burst of <see cref="TokenAddressRate"/>.</summary>
    [ConfigurationKeyName("token_address_burst")]
    public int TokenAddressBurst { get; set; } = 100;

    /// <summary>Token exchanges per second per agent (<c>TESSERA_AGENT_RATE</c>).</summary>
    [ConfigurationKeyName("agent_rate")]
    public int AgentRate { get; set; } = 10;

    /// <summary>Burst of <see cref="AgentRate"/>.</summary>
    [ConfigurationKeyName("agent_burst")]
    public int AgentBurst { get; set; } = 20;

    /// <summary>Token exchanges per second per platform, all agents together (<c>TESSERA_PLATFORM_RATE</c>).</summary>
    [ConfigurationKeyName("platform_rate")]
    public int PlatformRate { get; set; } = 1000;

    /// <summary>Burst of <see cref="PlatformRate"/>.</summary>
    [ConfigurationKeyName("platform_burst")]
    public int PlatformBurst { get; set; } = 2000;

    /// <summary>Requests per second per credential endpoint, all callers together (<c>TESSERA_ENDPOINT_RATE</c>).</summary>
    [ConfigurationKeyName("endpoint_rate")]
    public int EndpointRate { get; set; } = 5000;

    /// <summary>Burst of <see cref="EndpointRate"/>.</summary>
    [ConfigurationKeyName("endpoint_burst")]
    public int EndpointBurst { get; set; } = 10000;

    /// <summary>Consecutive permission denials reported by verifiers that suspend an agent; 0 = never (<c>TESSERA_SUSPEND_AFTER_DENIALS</c>).</summary>
    [ConfigurationKeyName("suspend_after_denials")]
    public int SuspendAfterDenials { get; set; } = 50;

    /// <summary>
    /// The RS256 key file for platforms on the <c>mudraid</c> token profile (<c>TESSERA_PROFILE_SIGNING_KEY_PATH</c>);
    /// created when the first such platform is registered. Unused when <c>signing_alg</c> is RS256.
    /// </summary>
    /// <remarks>Default: <c>signing-key-rs256.json</c> beside the default signing key file.</remarks>
    [ConfigurationKeyName("profile_signing_key_path")]
    public string? ProfileSigningKeyPath { get; set; }

    /// <summary>The profile key file actually used: the setting, or the default beside <see cref="SigningKeyPath"/>.</summary>
    public string EffectiveProfileSigningKeyPath =>
        string.IsNullOrWhiteSpace(ProfileSigningKeyPath)
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(SigningKeyPath)) ?? ".", "signing-key-rs256.json")
            : ProfileSigningKeyPath;

    /// <summary>Lifetime of exchanged tokens unless the agent sets its own (<c>TESSERA_EXCHANGE_TTL</c>).</summary>
    [ConfigurationKeyName("exchange_ttl")]
    public int ExchangeTtl { get; set; } = 900;

    /// <summary>
    /// <c>TESSERA_PUBLIC_REVOCATION_FEED</c>: serve <c>GET /v1/revocations</c> and its stream without a credential.
    /// Default false: the feed needs a platform's client credentials (HTTP Basic) or an admin token.
    /// </summary>
    [ConfigurationKeyName("public_revocation_feed")]
    public bool PublicRevocationFeed { get; set; }

    /// <summary><c>TESSERA_REVOCATION_STREAMS_PER_ADDRESS</c>: open revocation streams one client address may hold. Default 32.</summary>
    [ConfigurationKeyName("revocation_streams_per_address")]
    public int RevocationStreamsPerAddress { get; set; } = 32;

    /// <summary><c>TESSERA_REVOCATION_STREAMS_MAX</c>: open revocation streams in total. Default 2000.</summary>
    [ConfigurationKeyName("revocation_streams_max")]
    public int RevocationStreamsMax { get; set; } = 2000;

    /// <summary><c>TESSERA_MAX_CONNECTIONS</c>: open connections Kestrel accepts at once; more wait in the listen backlog. Default 8192.</summary>
    [ConfigurationKeyName("max_connections")]
    public int MaxConnections { get; set; } = 8192;

    /// <summary>
    /// <c>TESSERA_REVOCATION_ENTRY_LEEWAY</c>: seconds a revocation entry outlives the <c>exp</c> of the tokens it
    /// matches, at least the clock leeway any verifier applies to <c>exp</c>. Published in the discovery metadata as
    /// <c>revocation_entry_leeway_seconds</c>. Default 60.
    /// </summary>
    [ConfigurationKeyName("revocation_entry_leeway")]
    public int RevocationEntryLeeway { get; set; } = 60;

    /// <summary><c>TESSERA_RENEW_RATE</c>: token renewals per minute per agent. Default 30.</summary>
    [ConfigurationKeyName("renew_rate")]
    public int RenewRate { get; set; } = 30;

    /// <summary><c>TESSERA_RENEW_BURST</c>: burst of <see cref="RenewRate"/> per agent. Default 10.</summary>
    [ConfigurationKeyName("renew_burst")]
    public int RenewBurst { get; set; } = 10;

    /// <summary>The longest lifetime any token can have: the ceiling, or ten years when there is none.</summary>
    public long LongestTokenLifetimeSeconds => Math.Max(MaxTtl > 0 ? MaxTtl : 10L * 365 * 86400, AdminTokenTtl);

    /// <summary>The parsed signing algorithm (valid after validation).</summary>
    public SigningAlgorithm Algorithm => SigningAlgorithms.TryParse(SigningAlg, out var alg) ? alg : SigningAlgorithm.EdDSA;
}
