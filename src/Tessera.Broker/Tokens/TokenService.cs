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
    private readonly Lazy<TokenVerifier> _verifier;
    private readonly Keys.ProfileKeys? _profileKeys;
    private TokenVerifier? _profileVerifier;
    private readonly Activity.AgentActivity? _activity;

    /// <summary>Creates the service.</summary>
    public TokenService(SigningKeyRing keys, IOptions<BrokerOptions> options, TimeProvider time, Keys.ProfileKeys? profileKeys = null, Activity.AgentActivity? activity = null)
    {
        _profileKeys = profileKeys;
        _activity = activity;
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _time = time;
        _options = options.Value;
        // Made on first use: with a listen port of 0 the issuer is final only once the server has bound.
        _verifier = new Lazy<TokenVerifier>(() => new TokenVerifier(keys, new TokenVerifierOptions
        {
            Algorithm = _options.Algorithm,
            ValidIssuers = [_options.Issuer],
        }));
    }

    /// <summary>The issuer every token carries.</summary>
    public string Issuer => _options.Issuer;

    /// <summary>Signs a token for <paramref name="subject"/> valid <paramref name="ttlSeconds"/> from now.</summary>
    public (string Token, AccessTokenClaims Claims) Issue(
        string subject, IReadOnlyList<string> audience, IReadOnlyList<string> scope, int ttlSeconds,
        string? taskId = null, string? orchId = null, string? clientId = null,
        IReadOnlyList<DelegationRecord>? chain = null, string? chainHash = null, long? notAfter = null, string? appId = null,
        string? profile = null)
    {
        // The last line of defence for the reserved namespaces: only the admin's and apps' own
        // tokens carry admin:/app: scopes. Every edge refuses such a request with its own error;
        // a scope that still got here (a token issued before that check, then renewed) is dropped.
        if (!IsBrokerPrincipal(subject))
        {
            scope = WithoutReserved(scope);

            // Every agent token of either kind passes here: the inventory's last_seen_at.
            _activity?.Seen(subject);
        }

        bool mudraid = profile == "mudraid";
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
            ScopesArray = mudraid,
        };
        var key = mudraid && _profileKeys is not null ? _profileKeys.Rsa.Active : _keys.Active;
        return (_signer.Sign(claims, key), claims);
    }

    private static bool IsBrokerPrincipal(string subject) =>
        string.Equals(subject, "admin", StringComparison.Ordinal) || subject.StartsWith("app:", StringComparison.Ordinal);

    private static IReadOnlyList<string> WithoutReserved(IReadOnlyList<string> scope)
    {
        for (int i = 0; i < scope.Count; i++)
        {
            if (Tessera.Scopes.Scope.IsReservedValue(scope[i]))
            {
                var kept = new List<string>(scope.Count);
                foreach (string s in scope)
                {
                    if (!Tessera.Scopes.Scope.IsReservedValue(s))
                    {
                        kept.Add(s);
                    }
                }

                return kept;
            }
        }

        return scope;
    }

    /// <summary>Verifies signature, issuer and time (not revocation; see <see cref="Revocation.RevocationList"/>).</summary>
    /// <remarks>
    /// Tokens of the <c>mudraid</c> profile are RS256 while the broker may sign with another
    /// algorithm: each algorithm has its own verifier pinned to it and to its own keys, chosen by
    /// the header, so no key is ever used with an algorithm other than its own.
    /// </remarks>
    public TokenValidationResult Verify(string? token)
    {
        var now = _time.GetUtcNow();
        if (_profileKeys?.Separate is { } rsa && TokenVerifier.TryReadUnverifiedHeader(token, 16 * 1024, out string? alg, out _) && alg == "RS256")
        {
            _profileVerifier ??= new TokenVerifier(rsa, new TokenVerifierOptions { Algorithm = SigningAlgorithm.RS256, ValidIssuers = [_options.Issuer] });
            return _profileVerifier.Validate(token, now);
        }

        return _verifier.Value.Validate(token, now);
    }

    /// <summary>Caps a lifetime at the broker's ceiling (<c>TESSERA_MAX_TTL</c>; 0 = none).</summary>
    public int ClampToCeiling(long ttlSeconds)
    {
        long capped = _options.MaxTtl > 0 ? Math.Min(ttlSeconds, _options.MaxTtl) : ttlSeconds;
        return (int)Math.Clamp(capped, 1, int.MaxValue);
    }
}
