namespace Tessera.Tokens;

/// <summary>Why a token did not verify. Checks run in the declared order and stop at the first failure.</summary>
public enum TokenError
{
    /// <summary>The token verified.</summary>
    None = 0,

    /// <summary>Longer than the size limit; rejected before any parsing.</summary>
    TooLarge,

    /// <summary>Not three base64url segments (strict alphabet, no padding), or a header that is not a JSON object.</summary>
    Malformed,

    /// <summary>The header <c>typ</c> is not <c>at+jwt</c>.</summary>
    WrongType,

    /// <summary>The header <c>alg</c> is not the pinned algorithm (covers <c>none</c> and HMAC).</summary>
    AlgorithmNotAllowed,

    /// <summary>No <c>kid</c>, or a <c>kid</c> no known key has.</summary>
    UnknownKey,

    /// <summary>The signature does not verify.</summary>
    BadSignature,

    /// <summary>The (verified) payload is not a JSON object, a required claim is missing or mistyped, or <c>scope</c> and <c>scopes</c> disagree.</summary>
    MissingClaim,

    /// <summary><c>iss</c> is not an accepted issuer.</summary>
    WrongIssuer,

    /// <summary><c>aud</c> does not contain the expected audience.</summary>
    WrongAudience,

    /// <summary><c>exp</c> has passed.</summary>
    Expired,

    /// <summary><c>nbf</c> is in the future.</summary>
    NotYetValid,
}
