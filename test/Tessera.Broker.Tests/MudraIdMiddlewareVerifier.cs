using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Broker.Tests;

/// <summary>A decision of <see cref="MudraIdMiddlewareVerifier"/>: 200 with the claims, or the middleware's status and error_code.</summary>
public sealed record MudraIdDecision(int Status, string? ErrorCode, JsonObject? Claims)
{
    public static MudraIdDecision Allow(JsonObject claims) => new(200, null, claims);

    public static MudraIdDecision Refuse(int status, string code) => new(status, code, null);
}

/// <summary>
/// An independent verifier set up exactly as MudraID's platform middleware (V1) checks a token
/// (facts.md §3.3, §3.4), written with System.Security.Cryptography only, so it shares no code with
/// Tessera: a bearer token; a non-empty string <c>kid</c>; the key by <c>kid</c> from the JWKS,
/// where only RSA keys with <c>use</c> absent or <c>sig</c> count, an unknown kid allowing one
/// refetch and then answering 500 <c>JWKS_UNAVAILABLE</c>; <c>alg</c> RS256 only; the signature;
/// <c>exp iat nbf aud iss</c> all required, integer times, 30 s leeway; <c>aud</c> the platform id
/// (or a list holding it); <c>iss</c> in the allowlist; string <c>sub</c>/<c>jti</c> when present;
/// then the route's scope as an exact member of the <c>scopes</c> array (the <c>scope</c> string is ignored).
/// </summary>
public sealed class MudraIdMiddlewareVerifier(HttpClient http, Uri jwksUrl, string platformId, IReadOnlyCollection<string> expectedIssuers, TimeProvider clock)
{
    private const int Leeway = 30;
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(30);

    private Dictionary<string, RSAParameters>? _keys;
    private DateTimeOffset _fetchedAt;
    private DateTimeOffset _backoffUntil = DateTimeOffset.MinValue;

    public int Fetches { get; private set; }

    /// <summary>The RSA signing keys the last fetch kept, by kid.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys?.Keys ?? (IReadOnlyCollection<string>)[];

    public async Task<MudraIdDecision> VerifyAsync(string? authorization, string requiredScope)
    {
        int space = authorization?.IndexOf(' ', StringComparison.Ordinal) ?? -1;
        string? token = space > 0 && authorization![..space].Equals("bearer", StringComparison.OrdinalIgnoreCase) ? authorization[(space + 1)..].Trim() : null;
        if (string.IsNullOrEmpty(token))
        {
            return MudraIdDecision.Refuse(401, "MISSING_TOKEN");
        }

        string[] parts = token.Split('.');
        if (parts.Length != 3 || Decode(parts[0]) is not JsonObject header || header["kid"] is not JsonValue kidValue ||
            !kidValue.TryGetValue(out string? kid) || string.IsNullOrEmpty(kid))
        {
            return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
        }

        if (await KeyAsync(kid) is not { } key)
        {
            return MudraIdDecision.Refuse(500, "JWKS_UNAVAILABLE");
        }

        if (header["alg"]?.GetValueKind() != JsonValueKind.String || header["alg"]!.GetValue<string>() != "RS256")
        {
            return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
        }

        using (var rsa = RSA.Create(key))
        {
            byte[]? signature = TryBase64Url(parts[2]);
            if (signature is null || !rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
            }
        }

        if (Decode(parts[1]) is not JsonObject claims)
        {
            return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
        }

        if (CheckClaims(claims) is { } refusal)
        {
            return refusal;
        }

        bool scoped = claims["scopes"] is JsonArray scopes &&
                      scopes.Any(s => s?.GetValueKind() == JsonValueKind.String && s.GetValue<string>() == requiredScope);
        return scoped ? MudraIdDecision.Allow(claims) : MudraIdDecision.Refuse(403, "MISSING_SCOPE");
    }

    // PyJWT's order: required claims, then iat, nbf, exp, iss, aud, sub, jti.
    private MudraIdDecision? CheckClaims(JsonObject claims)
    {
        foreach (string name in new[] { "exp", "iat", "nbf", "aud", "iss" })
        {
            if (!claims.ContainsKey(name))
            {
                return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
            }
        }

        if (Integer(claims["iat"]) is not { } iat || Integer(claims["nbf"]) is not { } nbf || Integer(claims["exp"]) is not { } exp)
        {
            return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
        }

        long now = clock.GetUtcNow().ToUnixTimeSeconds();
        if (iat > now + Leeway || nbf > now + Leeway)
        {
            return MudraIdDecision.Refuse(401, "TOKEN_NOT_YET_VALID");
        }

        if (exp <= now - Leeway)
        {
            return MudraIdDecision.Refuse(401, "EXPIRED_TOKEN");
        }

        if (claims["iss"]?.GetValueKind() != JsonValueKind.String || !expectedIssuers.Contains(claims["iss"]!.GetValue<string>()))
        {
            return MudraIdDecision.Refuse(401, "WRONG_ISSUER");
        }

        bool audienceOk = claims["aud"] switch
        {
            JsonValue single when single.GetValueKind() == JsonValueKind.String => single.GetValue<string>() == platformId,
            JsonArray list => list.All(a => a?.GetValueKind() == JsonValueKind.String) && list.Any(a => a!.GetValue<string>() == platformId),
            _ => false,
        };
        if (!audienceOk)
        {
            return MudraIdDecision.Refuse(401, "WRONG_AUDIENCE");
        }

        foreach (string name in new[] { "sub", "jti" })
        {
            if (claims[name] is { } value && value.GetValueKind() != JsonValueKind.String)
            {
                return MudraIdDecision.Refuse(401, "INVALID_TOKEN");
            }
        }

        return null;
    }

    // A stale or empty cache is fetched; an unknown kid then gets one refetch unless the backoff is armed.
    private async Task<RSAParameters?> KeyAsync(string kid)
    {
        var now = clock.GetUtcNow();
        if (_keys is null || now - _fetchedAt >= Ttl)
        {
            if (now < _backoffUntil)
            {
                return null;
            }

            await RefreshAsync(now);
        }

        if (_keys is not null && _keys.TryGetValue(kid, out var known))
        {
            return known;
        }

        if (_keys is null || now < _backoffUntil)
        {
            return null;
        }

        await RefreshAsync(now);
        return _keys is not null && _keys.TryGetValue(kid, out var key) ? key : null;
    }

    // The backoff is armed by every fetch and cleared only by one that changed the kid set.
    private async Task RefreshAsync(DateTimeOffset now)
    {
        var before = _keys?.Keys.ToHashSet(StringComparer.Ordinal);
        var fetched = await FetchAsync();
        bool changed = fetched is not null && (before is null || !before.SetEquals(fetched.Keys));
        if (fetched is not null)
        {
            _keys = fetched;
            _fetchedAt = now;
        }

        _backoffUntil = changed ? DateTimeOffset.MinValue : now + Cooldown;
    }

    private async Task<Dictionary<string, RSAParameters>?> FetchAsync()
    {
        Fetches++;
        try
        {
            using var response = await http.GetAsync(jwksUrl);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK || body.Length > 1024 * 1024 || JsonNode.Parse(body) is not JsonObject document ||
                document["keys"] is not JsonArray entries)
            {
                return null;
            }

            var keys = new Dictionary<string, RSAParameters>(StringComparer.Ordinal);
            foreach (var jwk in entries.OfType<JsonObject>())
            {
                if (Text(jwk, "kid") is { Length: > 0 } kid && Text(jwk, "kty") == "RSA" && (jwk["use"] is null || Text(jwk, "use") == "sig") &&
                    TryBase64Url(Text(jwk, "n")) is { } n && TryBase64Url(Text(jwk, "e")) is { } e)
                {
                    keys[kid] = new RSAParameters { Modulus = n, Exponent = e };
                }
            }

            return keys.Count > 0 ? keys : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException)
        {
            return null;
        }
    }

    private static long? Integer(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long whole) ? whole : null;

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static JsonNode? Decode(string segment)
    {
        try
        {
            return TryBase64Url(segment) is { } bytes ? JsonNode.Parse(bytes) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[]? TryBase64Url(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
