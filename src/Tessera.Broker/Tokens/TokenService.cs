using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.Broker.Tokens;

/// <summary>Issues and verifies the broker's tokens with its key ring and pinned algorithm.</summary>
public sealed class TokenService
{
    private readonly SigningKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly BrokerOptions _options;
    private readonly TokenSigner _signer = new();
    private readonly TokenVerifier _verifier;

    /// <summary>Creates the service.</summary>
    public TokenService(SigningKeyRing keys, IOptions<BrokerOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _time = time;
        _options = options.Value;
        _verifier = new TokenVerifier(keys, new TokenVerifierOptions
        {
            Algorithm = _options.Algorithm,
            ValidIssuers = [_options.Issuer],
        });
    }

    /// <summary>The issuer every token carries.</summary>
    public string Issuer => _options.Issuer;

    /// <summary>Signs a token for <paramref name="subject"/> valid <paramref name="ttlSeconds"/> from now.</summary>
    public (string Token, AccessTokenClaims Claims) Issue(
        string subject, IReadOnlyList<string> audience, IReadOnlyList<string> scope, int ttlSeconds,
        string? taskId = null, string? orchId = null, string? clientId = null,
        IReadOnlyList<DelegationRecord>? chain = null, string? chainHash = null, long? notAfter = null, string? appId = null)
    {
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        long expires = notAfter is { } cap ? Math.Min(now + ttlSeconds, cap) : now + ttlSeconds;
        var claims = new AccessTokenClaims
        {
            Issuer = _options.Issuer,
            Subject = subject,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            ExpiresAt = expires,
            JwtId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Scope = scope,
            ClientId = clientId,
            TaskId = taskId,
            OrchId = orchId,
            DelegationChain = chain ?? [],
            ChainHash = chainHash,
            AppId = string.IsNullOrEmpty(appId) ? null : appId,
        };
        return (_signer.Sign(claims, _keys.Active), claims);
    }

    /// <summary>Verifies signature, issuer and time (not revocation; see <see cref="Revocation.RevocationList"/>).</summary>
    public TokenValidationResult Verify(string? token) => _verifier.Validate(token, _time.GetUtcNow());

    /// <summary>Caps a lifetime at the broker's ceiling (<c>TESSERA_MAX_TTL</c>; 0 = none).</summary>
    public int ClampToCeiling(long ttlSeconds)
    {
        long capped = _options.MaxTtl > 0 ? Math.Min(ttlSeconds, _options.MaxTtl) : ttlSeconds;
        return (int)Math.Clamp(capped, 1, int.MaxValue);
    }
}
