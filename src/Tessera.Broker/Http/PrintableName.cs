using System.Globalization;

namespace Tessera.Broker.Http;

/// <summary>
/// The edge check for names a client chooses (an agent_name, a platform's name, an owner): they end
/// up in audit details, CLI output and consoles, so they may hold neither control characters, nor
/// invisible formatting or bidirectional characters, nor the audit field separator <c>|</c>.
/// </summary>
internal static class PrintableName
{
    /// <summary>What the rule allows, for error details.</summary>
    public const string Rule = "no control or invisible formatting characters and no '|'";

    /// <summary>True when <paramref name="value"/> has at most <paramref name="maxLength"/> characters, all allowed.</summary>
    public static bool IsValid(string value, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > maxLength)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c == '|' || IsHidden(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for control characters and characters that are invisible or reorder text on a screen.</summary>
    public static bool IsHidden(char c) =>
        char.IsControl(c) || Audit.AuditEscape.IsUnsafe(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
