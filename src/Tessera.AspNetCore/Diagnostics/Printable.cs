using System.Globalization;
using System.Text;

namespace Tessera.AspNetCore.Diagnostics;

/// <summary>
/// Makes a value that came from outside (a token's claim, a request path, a broker's document)
/// safe to put in a log line or a refusal: control and other non-printable characters are
/// dropped, and the rest is cut to a bounded length with an ellipsis.
/// </summary>
internal static class Printable
{
    /// <summary>Most printable characters kept.</summary>
    public const int MaxLength = 128;

    /// <summary><paramref name="value"/> without non-printables, cut to <paramref name="max"/> characters plus "…"; "" for null.</summary>
    public static string Cut(string? value, int max = MaxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var text = new StringBuilder(Math.Min(value.Length, max + 1));
        int kept = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            if (!IsPrintable(rune))
            {
                continue;
            }

            if (kept == max)
            {
                return text.Append('…').ToString();
            }

            text.Append(rune.ToString());
            kept++;
        }

        return text.ToString();
    }

    private static bool IsPrintable(Rune rune) => rune != Rune.ReplacementChar && Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        _ => true,
    };
}
