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

    /// <summary>Creates a verifier over a key source.</summary>
    public TokenVerifier(IVerificationKeySource keys, TokenVerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _options = options;
        _algorithmName = Encoding.ASCII.GetBytes(options.Algorithm.Name());
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
            !TryReadHeader(header[..length], out var algBytes, out kid, out _))
        {
            return false;
        }

        alg = Encoding.UTF8.GetString(algBytes);
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

        byte[] rented = ArrayPool<byte>.Shared.Rent(token.Length * 2);
        try
        {
            // Signing input as ASCII; anything non-ASCII cannot be base64url and is malformed.
            Span<byte> ascii = rented.AsSpan(0, token.Length);
            for (int i = 0; i < token.Length; i++)
            {
                char c = token[i];
                if (c > 127)
                {
                    return TokenValidationResult.Fail(TokenError.Malformed, "token is not a compact JWS");
                }

                ascii[i] = (byte)c;
            }

            Span<byte> scratch = rented.AsSpan(token.Length, token.Length);

            // Header: decode and check alg before anything else.
            var headerB64 = ascii[..firstDot];
            if (!IsBase64UrlAlphabet(headerB64) || Base64Url.GetMaxDecodedLength(headerB64.Length) > MaxHeaderBytes ||
                Base64Url.DecodeFromUtf8(headerB64, scratch, out _, out int headerLength) != OperationStatus.Done)
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "header is not base64url");
            }

            if (!TryReadHeader(scratch[..headerLength], out var alg, out string? kid, out string? typ))
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "header is not a JSON object");
            }

            if (!alg.SequenceEqual(_algorithmName))
            {
                return TokenValidationResult.Fail(TokenError.AlgorithmNotAllowed, "algorithm not allowed");
            }

            if (typ is not null && !string.Equals(typ, "at+jwt", StringComparison.OrdinalIgnoreCase) &&
                !string.Equals(typ, "application/at+jwt", StringComparison.OrdinalIgnoreCase))
            {
                return TokenValidationResult.Fail(TokenError.WrongType, "token type is not at+jwt");
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

            var payloadB64 = ascii[(firstDot + 1)..secondDot];
            if (!IsBase64UrlAlphabet(payloadB64) || Base64Url.DecodeFromUtf8(payloadB64, scratch, out _, out int payloadLength) != OperationStatus.Done)
            {
                return TokenValidationResult.Fail(TokenError.Malformed, "payload is not base64url");
            }

            if (!ClaimsReader.TryRead(scratch[..payloadLength], out var claims, out string? claimError))
            {
                return TokenValidationResult.Fail(TokenError.MissingClaim, claimError);
            }

            return CheckClaims(claims, now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private TokenValidationResult CheckClaims(AccessTokenClaims claims, DateTimeOffset now)
    {
        bool issuerOk = false;
        foreach (var issuer in _options.ValidIssuers)
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

    private static bool TryReadHeader(ReadOnlySpan<byte> json, out ReadOnlySpan<byte> alg, out string? kid, out string? typ)
    {
        alg = default;
        kid = null;
        typ = null;
        bool sawAlg = false;
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
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || sawAlg)
                    {
                        return false;
                    }

                    alg = reader.ValueSpan;
                    sawAlg = true;
                }
                else if (reader.ValueTextEquals("kid"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    kid = reader.GetString();
                }
                else if (reader.ValueTextEquals("typ"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return false;
                    }

                    typ = reader.GetString();
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
            // Unpaired surrogates or invalid UTF-8 in a string make GetString throw; it is still just a malformed header.
            return false;
        }
    }

    // One token, one spelling: only the base64url alphabet, no padding, no whitespace.
    private static bool IsBase64UrlAlphabet(ReadOnlySpan<byte> segment)
    {
        foreach (byte b in segment)
        {
            if (!(b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'_'))
            {
                return false;
            }
        }

        return true;
    }
}
