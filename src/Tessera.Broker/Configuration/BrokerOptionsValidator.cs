using Microsoft.Extensions.Options;
using Tessera.Storage;
using Tessera.Identity;
using Tessera.Keys;

namespace Tessera.Broker.Configuration;

/// <summary>Validates <see cref="BrokerOptions"/> at start-up; the first problem stops the process with one line.</summary>
/// <param name="storage">The storage provider serving <c>TESSERA_DB</c>, or null when none does.</param>
public sealed class BrokerOptionsValidator(IStorageProvider? storage) : IValidateOptions<BrokerOptions>
{
    /// <summary>Secrets that are never accepted, whatever their length.</summary>
    public static readonly IReadOnlySet<string> DeniedSecrets = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "", "change-me-in-production", "changeme", "change-me", "password", "secret", "admin", "tessera",
        "0123456789abcdef", "aaaaaaaaaaaaaaaa", "passwordpassword", "secretsecretsecret", "admin-secret-admin",
        "test-secret-test-secret", "my-super-secret-key",
    };

    /// <summary>Shortest admin secret accepted.</summary>
    public const int MinSecretLength = 16;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        string? problem = FirstProblem(options, storage);
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problem);
    }

    /// <summary>The first configuration problem, or null. Messages name the setting.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="storage">The storage provider that serves <c>TESSERA_DB</c>, or null when none of the host's does.</param>
    public static string? FirstProblem(BrokerOptions options, IStorageProvider? storage)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AdminSecret is null && string.IsNullOrEmpty(options.AdminSecretHash))
        {
            return "no admin secret configured: set TESSERA_ADMIN_SECRET, or run 'tessera init' and pass --config";
        }

        if (options.AdminSecret is { } secret)
        {
            if (secret.Length == 0)
            {
                return "TESSERA_ADMIN_SECRET is empty; unset it to use the config file's hash, or set a strong secret";
            }

            if (DeniedSecrets.Contains(secret.Trim()))
            {
                return "TESSERA_ADMIN_SECRET is a known-weak default; run 'tessera init' to generate a secure config, or set a strong secret";
            }

            if (secret.Length < MinSecretLength)
            {
                return $"TESSERA_ADMIN_SECRET is shorter than {MinSecretLength} characters";
            }

            if (System.Text.Encoding.UTF8.GetByteCount(secret) > 72)
            {
                return "TESSERA_ADMIN_SECRET is longer than 72 bytes, the most bcrypt can compare";
            }
        }
        else if (!IsBcryptHash(options.AdminSecretHash!))
        {
            return "TESSERA_ADMIN_SECRET_HASH is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)";
        }

        if (!SigningAlgorithms.TryParse(options.SigningAlg, out _))
        {
            return $"TESSERA_SIGNING_ALG must be EdDSA, ES256 or RS256 (got '{Printable(options.SigningAlg)}')";
        }

        if (options.DefaultTtl <= 0)
        {
            return "TESSERA_DEFAULT_TTL must be a positive number of seconds";
        }

        if (options.MaxTtl < 0)
        {
            return "TESSERA_MAX_TTL must be 0 (no ceiling) or a positive number of seconds";
        }

        if (options.MaxTtl > 0 && options.DefaultTtl > options.MaxTtl)
        {
            return "TESSERA_DEFAULT_TTL must not exceed TESSERA_MAX_TTL";
        }

        if (options.AdminTokenTtl is <= 0 or > 86400)
        {
            return "TESSERA_ADMIN_TOKEN_TTL must be between 1 and 86400 seconds";
        }

        if (options.NonceTtl is <= 0 or > 600)
        {
            return "TESSERA_NONCE_TTL must be between 1 and 600 seconds";
        }

        if (!TrustDomain.TryParse(options.TrustDomain, out _))
        {
            return "TESSERA_TRUST_DOMAIN must be lowercase letters, digits, '.', '-' or '_'";
        }

        if (string.IsNullOrWhiteSpace(options.Issuer) || options.Issuer.Length > 512)
        {
            return "TESSERA_ISSUER must be a non-empty string (a URL is recommended)";
        }

        if (options.BcryptCost is < 4 or > 31)
        {
            return "TESSERA_BCRYPT_COST must be between 4 and 31";
        }

        if (options.AdminAuthRate <= 0 || options.AdminAuthBurst <= 0)
        {
            return "TESSERA_ADMIN_AUTH_RATE and TESSERA_ADMIN_AUTH_BURST must be positive";
        }

        if (options.PublicRate <= 0 || options.PublicBurst <= 0)
        {
            return "TESSERA_PUBLIC_RATE and TESSERA_PUBLIC_BURST must be positive";
        }

        if (options.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            return "TESSERA_MAX_BODY_BYTES must be between 1024 and 16777216";
        }

        if (options.MaxDelegationDepth is < 1 or > 32)
        {
            return "TESSERA_MAX_DELEGATION_DEPTH must be between 1 and 32";
        }

        if (options.AuditCheckpointInterval is < 1 or > 1_000_000)
        {
            return "TESSERA_AUDIT_CHECKPOINT_INTERVAL must be between 1 and 1000000";
        }

        if (options.KeyRotationInterval < 0 || (options.KeyRotationInterval > 0 && options.KeyRotationInterval < 60))
        {
            return "TESSERA_KEY_ROTATION_INTERVAL must be 0 (off) or at least 60 seconds";
        }

        if (options.TlsMode is not ("none" or "tls" or "mtls"))
        {
            return $"TESSERA_TLS_MODE must be none, tls or mtls (got '{Printable(options.TlsMode)}')";
        }

        if (options.TlsMode is "tls" or "mtls")
        {
            if (string.IsNullOrWhiteSpace(options.TlsCert) || string.IsNullOrWhiteSpace(options.TlsKey))
            {
                return $"TESSERA_TLS_MODE={options.TlsMode} needs TESSERA_TLS_CERT and TESSERA_TLS_KEY";
            }

            if (!File.Exists(options.TlsCert))
            {
                return $"TESSERA_TLS_CERT file not found: {options.TlsCert}";
            }

            if (!File.Exists(options.TlsKey))
            {
                return $"TESSERA_TLS_KEY file not found: {options.TlsKey}";
            }
        }

        if (options.TlsMode == "mtls")
        {
            if (string.IsNullOrWhiteSpace(options.TlsClientCa))
            {
                return "TESSERA_TLS_MODE=mtls needs TESSERA_TLS_CLIENT_CA";
            }

            if (!File.Exists(options.TlsClientCa))
            {
                return $"TESSERA_TLS_CLIENT_CA file not found: {options.TlsClientCa}";
            }
        }

        if (options.SecretPepper is not null && !IsPepper(options.SecretPepper))
        {
            return "TESSERA_SECRET_PEPPER must be base64 of at least 32 bytes";
        }

        if (options.SecretPepper is null && string.IsNullOrWhiteSpace(options.SecretPepperPath))
        {
            return "TESSERA_SECRET_PEPPER_PATH must name the pepper file when TESSERA_SECRET_PEPPER is not set";
        }

        if (options.AppAuthRate <= 0 || options.AppAuthBurst <= 0)
        {
            return "TESSERA_APP_AUTH_RATE and TESSERA_APP_AUTH_BURST must be positive";
        }

        if (options.SecretRotationGrace is < 0 or > 30 * 86400)
        {
            return "TESSERA_SECRET_ROTATION_GRACE must be between 0 and 2592000 seconds";
        }

        foreach (var (name, rate, burst) in new[]
        {
            ("TOKEN_ADDRESS", options.TokenAddressRate, options.TokenAddressBurst),
            ("AGENT", options.AgentRate, options.AgentBurst),
            ("PLATFORM", options.PlatformRate, options.PlatformBurst),
            ("ENDPOINT", options.EndpointRate, options.EndpointBurst),
        })
        {
            if (rate <= 0 || burst <= 0)
            {
                return $"TESSERA_{name}_RATE and TESSERA_{name}_BURST must be positive";
            }
        }

        if (!string.IsNullOrWhiteSpace(options.ProfileSigningKeyPath) &&
            string.Equals(Path.GetFullPath(options.ProfileSigningKeyPath), Path.GetFullPath(options.SigningKeyPath), StringComparison.Ordinal))
        {
            return "TESSERA_PROFILE_SIGNING_KEY_PATH must name a different file than TESSERA_SIGNING_KEY_PATH";
        }

        if (options.SuspendAfterDenials < 0)
        {
            return "TESSERA_SUSPEND_AFTER_DENIALS must be 0 (never) or positive";
        }

        if (options.RevocationStreamsPerAddress < 1 || options.RevocationStreamsMax < 1)
        {
            return "TESSERA_REVOCATION_STREAMS_PER_ADDRESS and TESSERA_REVOCATION_STREAMS_MAX must be positive";
        }

        if (options.MaxConnections < 16)
        {
            return "TESSERA_MAX_CONNECTIONS must be at least 16";
        }

        if (options.RevocationStreamsMax >= options.MaxConnections)
        {
            return "TESSERA_REVOCATION_STREAMS_MAX must be below TESSERA_MAX_CONNECTIONS, so streams cannot take every connection";
        }

        if (options.RevocationEntryLeeway is < 30 or > 3600)
        {
            return "TESSERA_REVOCATION_ENTRY_LEEWAY must be between 30 and 3600 seconds (at least the verifiers' clock leeway)";
        }

        if (options.RenewRate <= 0 || options.RenewBurst <= 0)
        {
            return "TESSERA_RENEW_RATE and TESSERA_RENEW_BURST must be positive";
        }

        if (options.ExchangeTtl is < 60 or > 86400)
        {
            return "TESSERA_EXCHANGE_TTL must be between 60 and 86400 seconds";
        }

        if (string.IsNullOrWhiteSpace(options.Db))
        {
            return "TESSERA_DB must name the SQLite database file or a PostgreSQL database (postgres://user:password@host:port/database)";
        }

        if (storage is null)
        {
            return "TESSERA_DB names no database this broker can use (a SQLite file path, or postgres://user:password@host:port/database)";
        }

        if (storage.Validate(options.Db) is { } dbError)
        {
            return $"TESSERA_DB: {dbError}";
        }

        if (options.KeyEncryptionKey is not null)
        {
            if (!IsKeyEncryptionKey(options.KeyEncryptionKey))
            {
                return "TESSERA_KEY_ENCRYPTION_KEY must be base64 of exactly 32 bytes (for example: openssl rand -base64 32)";
            }

            if (!storage.SharedAcrossReplicas)
            {
                return "TESSERA_KEY_ENCRYPTION_KEY is for a PostgreSQL TESSERA_DB (keys shared by replicas); with SQLite the signing keys stay in their key files";
            }
        }

        if (string.IsNullOrWhiteSpace(options.SigningKeyPath))
        {
            return "TESSERA_SIGNING_KEY_PATH must name the signing key file";
        }

        return null;
    }

    private static bool IsPepper(string value)
    {
        if (value.Length > 4096)
        {
            return false;
        }

        byte[] buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out int written) && written >= 32;
    }

    /// <summary>True when <paramref name="value"/> looks like a bcrypt hash.</summary>
    public static bool IsBcryptHash(string value) =>
        value.Length == 60 && (value.StartsWith("$2a$", StringComparison.Ordinal) || value.StartsWith("$2b$", StringComparison.Ordinal) || value.StartsWith("$2y$", StringComparison.Ordinal));

    private static string Printable(string? value) =>
        value is null ? "" : new string([.. value.Take(32).Select(c => c is >= ' ' and < (char)127 ? c : '?')]);

    private static bool IsKeyEncryptionKey(string value)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(value.Trim(), buffer, out int written) && written == 32;
    }
}
