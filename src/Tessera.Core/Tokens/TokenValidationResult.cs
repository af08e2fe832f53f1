using System.Diagnostics.CodeAnalysis;

namespace Tessera.Tokens;

/// <summary>Either verified claims or the reason a token was refused. Never thrown.</summary>
public readonly struct TokenValidationResult
{
    private TokenValidationResult(AccessTokenClaims? claims, TokenError error, string? reason)
    {
        Claims = claims;
        Error = error;
        Reason = reason;
    }

    /// <summary>The verified claims, when valid.</summary>
    public AccessTokenClaims? Claims { get; }

    /// <summary>Why it failed, or <see cref="TokenError.None"/>.</summary>
    public TokenError Error { get; }

    /// <summary>A short reason safe to log and return (never contains the token).</summary>
    public string? Reason { get; }

    /// <summary>True when the token verified.</summary>
    [MemberNotNullWhen(true, nameof(Claims))]
    public bool IsValid => Error == TokenError.None && Claims is not null;

    /// <summary>A success.</summary>
    public static TokenValidationResult Success(AccessTokenClaims claims) => new(claims, TokenError.None, null);

    /// <summary>A failure.</summary>
    public static TokenValidationResult Fail(TokenError error, string reason) => new(null, error, reason);
}
