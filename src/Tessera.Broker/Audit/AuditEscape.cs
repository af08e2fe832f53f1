using System.Globalization;
using System.Text;

namespace Tessera.Broker.Audit;

/// <summary>
/// The escaping rules of audit details. A value inserted into a detail has <c>\</c>, <c>|</c>,
/// every control character (C0, DEL, C1) and every invisible formatting or bidirectional character
/// written as <c>\uXXXX</c>, so the text stays one unambiguous line that prints harmlessly on a
/// terminal; <see cref="Unescape"/> reverses it. Broker-written text keeps its <c>|</c> separators
/// but gets the same treatment of control and formatting characters.
/// </summary>
internal static class AuditEscape
{
    /// <summary>The longest detail stored; a longer one is cut and marked.</summary>
    public const int MaxDetailChars = 2048;

    /// <summary>Escapes one value.</summary>
    public static string Value(string? value)
    {
        var builder = new StringBuilder(value?.Length ?? 0);
        AppendValue(builder, value);
        return builder.ToString();
    }

    /// <summary>Escapes control and formatting characters of broker-written text, keeping its separators.</summary>
    public static string Text(string? value)
    {
        if (value is null)
        {
            return "";
        }

        bool clean = true;
        foreach (char c in value)
        {
            if (IsUnsafe(c))
            {
                clean = false;
                break;
            }
        }

        if (clean)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 16);
        AppendText(builder, value);
        return builder.ToString();
    }

    /// <summary>Cuts a finished detail to <see cref="MaxDetailChars"/>, never inside an escape.</summary>
    public static string Bound(string detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        if (detail.Length <= MaxDetailChars)
        {
            return detail;
        }

        int cut = MaxDetailChars - 32;
        int escape = detail.LastIndexOf("\\u", cut, 6, StringComparison.Ordinal);
        if (escape >= 0 && escape + 6 > cut)
        {
            cut = escape;
        }

        return string.Concat(detail.AsSpan(0, cut), FormattableString.Invariant($" | cut={detail.Length - cut}"));
    }

    /// <summary>Reverses <see cref="Value"/>.</summary>
    public static string Unescape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 5 < value.Length && value[i + 1] == 'u' &&
                int.TryParse(value.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                builder.Append((char)code);
                i += 5;
            }
            else
            {
                builder.Append(value[i]);
            }
        }

        return builder.ToString();
    }

    internal static void AppendValue(StringBuilder builder, string? value)
    {
        if (value is null)
        {
            return;
        }

        foreach (char c in value)
        {
            if (c is '\\' or '|' || IsUnsafe(c))
            {
                AppendEscape(builder, c);
            }
            else
            {
                builder.Append(c);
            }
        }
    }

    internal static void AppendText(StringBuilder builder, string value)
    {
        foreach (char c in value)
        {
            if (IsUnsafe(c))
            {
                AppendEscape(builder, c);
            }
            else
            {
                builder.Append(c);
            }
        }
    }

    /// <summary>Control characters, and the invisible ones that reorder or hide text on a screen.</summary>
    internal static bool IsUnsafe(char c) =>
        c < ' ' || c is >= (char)0x7F and <= (char)0x9F
        || c is '\u061C' or '\u2028' or '\u2029' or '\uFEFF'
        || c is >= '\u200B' and <= '\u200F'
        || c is >= '\u202A' and <= '\u202E'
        || c is >= '\u2060' and <= '\u2069';

    private static void AppendEscape(StringBuilder builder, char c) =>
        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}
