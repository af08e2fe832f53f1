using Tessera.Keys;

namespace Tessera.Tokens;

/// <summary>What a <see cref="TokenVerifier"/> accepts.</summary>
public sealed class TokenVerifierOptions
{
    /// <summary>The one algorithm accepted. Anything else in the header is refused before key lookup.</summary>
    public SigningAlgorithm Algorithm { get; init; } = SigningAlgorithm.EdDSA;

    /// <summary>Accepted issuers (one, or a transition set). Empty accepts none.</summary>
    public IReadOnlyList<string> ValidIssuers { get; init; } = [];

    /// <summary>When set, <c>aud</c> must contain it.</summary>
    public string? Audience { get; init; }

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c>. Default zero (the broker checks its own tokens).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.Zero;

    /// <summary>Longest token accepted, in characters; longer ones are refused before decoding.</summary>
    public int MaxTokenLength { get; init; } = 8192;
}
