using System.Text;

namespace Tessera.Tokens;

/// <summary>
/// The few claim values a verifier expects in every token (its issuers, its audience), kept as
/// UTF-8 beside their strings so reading a token that carries one reuses the string instead of
/// allocating a copy. Immutable.
/// </summary>
internal sealed class KnownClaimValues
{
    private readonly (byte[] Utf8, string Value)[] _values;

    public KnownClaimValues(IEnumerable<string> values) =>
        _values = [.. values.Distinct(StringComparer.Ordinal).Select(v => (Encoding.UTF8.GetBytes(v), v))];

    /// <summary>The known string whose UTF-8 is <paramref name="utf8"/>, or null.</summary>
    public string? Find(ReadOnlySpan<byte> utf8)
    {
        foreach (var (bytes, value) in _values)
        {
            if (utf8.SequenceEqual(bytes))
            {
                return value;
            }
        }

        return null;
    }
}
