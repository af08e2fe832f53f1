using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Tessera.Keys;

namespace Tessera.Tokens;

/// <summary>
/// Verifies compact JWS access tokens with the algorithm pinned. Order: size → shape →
/// header (<c>alg</c> pinned, <c>typ</c>) → <c>kid</c> → signature → claims → issuer → audience →
/// time. Nothing is trusted before the signature verifies; no exception escapes for bad input.
/// </summary>
public sealed class TokenVerifier
{
    private const int MaxHeaderBytes = 1024;

    private readonly IVerificationKeySource _keys;
    private readonly TokenVerifierOptions _options;
    private readonly byte[] _algorithmName;

    // The accepted issuers with the claim values they make known. Replaced whole (SetValidIssuers),
    // never mutated, and read once per Validate: a token is judged against one set.
    private volatile IssuerSet _issuers;

    // The last header that passed (see Validate). Replaced whole, never mutated.
    private volatile HeaderMemo? _lastHeader;

    /// <summary>Creates a verifier over a key source.</summary>
    public TokenVerifier(IVerificationKeySource keys, TokenVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _options = options;
        _algorithmName = Encoding.ASCII.GetBytes(options.Algorithm.Name());
        _issuers = IssuerSet.Create(options.ValidIssuers, options.Audience);
    }

    /// <summary>The issuers accepted now: <see cref="TokenVerifierOptions.ValidIssuers"/> until <see cref="SetValidIssuers"/> replaces them.</summary>
    public IReadOnlyList<string> ValidIssuers => _issuers.ReadOnly;

    /// <summary>
    /// Replaces the accepted issuers atomically (a broker's metadata named another issuer). A
    /// <see cref="Validate"/> already running finishes under the set it started with. Empty accepts none.
    /// </summary>
    public void SetValidIssuers(IEnumerable<string> issuers)
    {
        ArgumentNullException.ThrowIfNull(issuers);
        _issuers = IssuerSet.Create([.. issuers], _options.Audience);
    }

    /// <summary>
    /// Reads <c>alg</c> and <c>kid</c> from a token's header WITHOUT verifying anything, so a
    /// caller can refuse a foreign algorithm before, and decide on a key fetch for, the real
    /// check. Never trust the values for anything else.
    /// </summary>
    public static bool TryReadUnverifiedHeader(string? token, int maxTokenLength, out string? alg, out string? kid)
    {
        alg = null;
        kid = null;
        if (string.IsNullOrEmpty(token) || token.Length > maxTokenLength)
        {
            return false;
        }

        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot > 2048)
        {
            return false;
        }

        Span<byte> ascii = stackalloc byte[dot];
        for (int i = 0; i < dot; i++)
        {
            if (token[i] > 127)
            {
                return false;
            }

            ascii[i] = (byte)token[i];
        }

        Span<byte> header = stackalloc byte[MaxHeaderBytes * 2];
        if (!IsBase64UrlAlphabet(ascii) || Base64Url.GetMaxDecodedLength(dot) > MaxHeaderBytes ||
            Base64Url.DecodeFromUtf8(ascii, header, out _, out int length) != OperationStatus.Done ||
            !TryReadHeader(header[..length], header[MaxHeaderBytes..], out var algBytes, out var kidBytes, out _, out _))
        {
            return false;
        }

        alg = Encoding.UTF8.GetString(algBytes);
        kid = kidBytes.IsEmpty ? null : Encoding.UTF8.GetString(kidBytes);
        return true;
    }

    /// <summary>Verifies <paramref name="token"/> at <paramref name="now"/>.</summary>
    public TokenValidationResult Validate(string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token))
        {
            return TokenValidationResult.Fail(TokenError.Malformed, "token is empty");
        }

        if (token.Length > _options.MaxTokenLength)
        {
            return TokenValidationResult.Fail(TokenError.TooLarge, "token is too large");
        }

        int firstDot = token.IndexOf('.', StringComparison.Ordinal);
        int secondDot = firstDot < 0 ? -1 : token.IndexOf('.', firstDot + 1);
        if (firstDot <= 0 || secondDot < 0 || token.IndexOf('.', secondDot + 1) >= 0 || secondDot == firstDot + 1 || secondDot == token.Length - 1)
        {
            return TokenValidationResult.Fail(TokenError.Malformed, "token is not a compact JWS");
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((token.Length * 2) + MaxHeaderBytes);
        try
        {
            // Signing input as ASCII (vectorized); anything non-ASCII cannot be base64url and is malformed.
            Span<byte> ascii = rented.AsSpan(0, token.Length);
            if (Ascii.FromUtf16(token, ascii, out _) != OperationStatus.Done)
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "token is not a compact JWS");
            }

            Span<byte> scratch = rented.AsSpan(token.Length, token.Length);

            // Header: decode and check alg before anything else. The broker's tokens share their
            // header byte for byte while a key is active, so the last header that passed is
            // remembered with its kid and the same bytes skip the decoding and the JSON.
            var headerB64 = ascii[..firstDot];
            string? kid;
            bool remember = false;
            var memo = _lastHeader;
            if (memo is not null && headerB64.SequenceEqual(memo.Encoded))
            {
                kid = memo.KeyId;
            }
            else
            {
                if (!IsBase64UrlAlphabet(headerB64) || Base64Url.GetMaxDecodedLength(headerB64.Length) > MaxHeaderBytes ||
                    Base64Url.DecodeFromUtf8(headerB64, scratch, out _, out int headerLength) != OperationStatus.Done)
                {
                    return TokenValidationResult.Fail(TokenError.Malformed, "header is not base64url");
                }

                if (!TryReadHeader(scratch[..headerLength], rented.AsSpan(2 * token.Length, MaxHeaderBytes), out var alg, out var kidUtf8, out var typ, out bool hasTyp))
                {
                    return TokenValidationResult.Fail(TokenError.Malformed, "header is not a JSON object");
                }

                if (!alg.SequenceEqual(_algorithmName))
                {
                    return TokenValidationResult.Fail(TokenError.AlgorithmNotAllowed, "algorithm not allowed");
                }

                if (hasTyp && !Ascii.EqualsIgnoreCase(typ, "at+jwt"u8) && !Ascii.EqualsIgnoreCase(typ, "application/at+jwt"u8))
                {
                    return TokenValidationResult.Fail(TokenError.WrongType, "token type is not at+jwt");
                }

                kid = kidUtf8.IsEmpty ? null : Encoding.UTF8.GetString(kidUtf8);
                remember = true;
            }

            if (kid is null || !_keys.TryGetKey(kid, out var key) || key is null)
            {
                return TokenValidationResult.Fail(TokenError.UnknownKey, "unknown signing key");
            }

            if (key.Algorithm != _options.Algorithm)
            {
                return TokenValidationResult.Fail(TokenError.AlgorithmNotAllowed, "algorithm not allowed");
            }

            var signatureB64 = ascii[(secondDot + 1)..];
            if (!IsBase64UrlAlphabet(signatureB64) || Base64Url.DecodeFromUtf8(signatureB64, scratch, out _, out int signatureLength) != OperationStatus.Done)
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "signature is not base64url");
            }

            if (!key.Verify(ascii[..secondDot], scratch[..signatureLength]))
            {
                return TokenValidationResult.Fail(TokenError.BadSignature, "signature verification failed");
            }

            if (remember)
            {
                // Only a header whose token verified is remembered, so unsigned junk cannot evict it.
                _lastHeader = new HeaderMemo(headerB64.ToArray(), kid);
            }

            var payloadB64 = ascii[(firstDot + 1)..secondDot];
            if (!IsBase64UrlAlphabet(payloadB64) || Base64Url.DecodeFromUtf8(payloadB64, scratch, out _, out int payloadLength) != OperationStatus.Done)
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "payload is not base64url");
            }

            var issuers = _issuers;
            if (!ClaimsReader.TryRead(scratch[..payloadLength], issuers.Known, out var claims, out string? claimError))
            {
                return TokenValidationResult.Fail(TokenError.MissingClaim, claimError);
            }

            return CheckClaims(claims, issuers.Values, now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private TokenValidationResult CheckClaims(AccessTokenClaims claims, string[] validIssuers, DateTimeOffset now)
    {
        bool issuerOk = false;
        foreach (var issuer in validIssuers)
        {
            if (string.Equals(issuer, claims.Issuer, StringComparison.Ordinal))
            {
                issuerOk = true;
                break;
            }
        }

        if (!issuerOk)
        {
            return TokenValidationResult.Fail(TokenError.WrongIssuer, "issuer not accepted");
        }

        if (_options.Audience is { } audience)
        {
            bool audienceOk = false;
            foreach (var aud in claims.Audience)
            {
                if (string.Equals(aud, audience, StringComparison.Ordinal))
                {
                    audienceOk = true;
                    break;
                }
            }

            if (!audienceOk)
            {
                return TokenValidationResult.Fail(TokenError.WrongAudience, "audience mismatch");
            }
        }

        long nowSeconds = now.ToUnixTimeSeconds();
        long skew = (long)_options.ClockSkew.TotalSeconds;
        if (claims.ExpiresAt <= nowSeconds - skew)
        {
            return TokenValidationResult.Fail(TokenError.Expired, "token expired");
        }

        if (claims.NotBefore > nowSeconds + skew)
        {
            return TokenValidationResult.Fail(TokenError.NotYetValid, "token not yet valid");
        }

        return TokenValidationResult.Success(claims);
    }

    // alg, kid and typ as unescaped UTF-8 (empty when absent), each at most once. Escaped values are
    // unescaped into <paramref name="unescaped"/>, which must be at least as long as the JSON.
    private static bool TryReadHeader(ReadOnlySpan<byte> json, Span<byte> unescaped, out ReadOnlySpan<byte> alg, out ReadOnlySpan<byte> kid, out ReadOnlySpan<byte> typ, out bool hasTyp)
    {
        int used = 0;
        alg = default;
        kid = default;
        typ = default;
        hasTyp = false;
        bool sawAlg = false, sawKid = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return sawAlg && reader.CurrentDepth == 0;
                }

                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    return false;
                }

                if (reader.ValueTextEquals("alg"u8))
                {
                    if (!TryReadHeaderString(ref reader, ref sawAlg, default, ref used, out alg))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("kid"u8))
                {
                    if (!TryReadHeaderString(ref reader, ref sawKid, unescaped, ref used, out kid))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("typ"u8))
                {
                    if (!TryReadHeaderString(ref reader, ref hasTyp, unescaped, ref used, out typ))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("crit"u8))
                {
                    // We understand no extensions, so a token that declares critical ones is refused (RFC 7515 §4.1.11).
                    return false;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // CopyString refuses escapes that are not text (lone surrogates): a malformed header.
            return false;
        }
    }

    // A header string as UTF-8: straight from the JSON when it has no escapes (the broker's own
    // tokens), else unescaped into unescaped[used..] (other signers write "at\u002Bjwt"). With no
    // buffer (alg: one spelling, compared byte for byte) an escaped value is refused.
    private static bool TryReadHeaderString(scoped ref Utf8JsonReader reader, scoped ref bool seen, Span<byte> unescaped, scoped ref int used, out ReadOnlySpan<byte> value)
    {
        value = default;
        reader.Read();
        if (reader.TokenType != JsonTokenType.String || seen)
        {
            return false;
        }

        seen = true;
        if (reader.ValueIsEscaped && unescaped.IsEmpty)
        {
            return false;
        }

        if (reader.ValueIsEscaped)
        {
            int length = reader.CopyString(unescaped[used..]);
            value = unescaped.Slice(used, length);
            used += length;
        }
        else
        {
            value = reader.ValueSpan;
        }

        // The reader does not check the UTF-8 inside strings; a header that is not UTF-8 is malformed.
        return System.Text.Unicode.Utf8.IsValid(value);
    }

    // The accepted issuers, and the claim values (issuers and audience) the claims reader reuses.
    private sealed class IssuerSet(string[] values, KnownClaimValues known)
    {
        public string[] Values { get; } = values;

        public IReadOnlyList<string> ReadOnly { get; } = Array.AsReadOnly(values);

        public KnownClaimValues Known { get; } = known;

        public static IssuerSet Create(IReadOnlyList<string> issuers, string? audience)
        {
            string[] values = [.. issuers];
            return new IssuerSet(values, new KnownClaimValues([.. values, .. audience is null ? Array.Empty<string>() : [audience]]));
        }
    }

    // A header that passed the alg and typ checks, as its base64url bytes, and the kid it names.
    private sealed record HeaderMemo(byte[] Encoded, string KeyId);

    // One token, one spelling: only the base64url alphabet, no padding, no whitespace.
    private static readonly SearchValues<byte> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8);

    private static bool IsBase64UrlAlphabet(ReadOnlySpan<byte> segment) => !segment.ContainsAnyExcept(Base64UrlAlphabet);
}
