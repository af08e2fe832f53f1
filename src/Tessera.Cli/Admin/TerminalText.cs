using System.Globalization;
using System.Text;

namespace Tessera.Cli.Admin;

/// <summary>
/// Makes text that came from the broker (audit details, names, error details) safe to print on a
/// terminal: control characters (a line break, an ESC sequence) and invisible formatting or
/// bidirectional characters are shown as <c>\uXXXX</c>, so they can neither forge a line nor drive
/// the terminal. Events written before the broker escaped its details are made harmless here too.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value ?? "";
        }

        StringBuilder? builder = null;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (IsUnsafe(c))
            {
                builder ??= new StringBuilder(value.Length + 16).Append(value, 0, i);
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder?.Append(c);
            }
        }

        return builder?.ToString() ?? value;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
