namespace Tessera.Broker.Audit;

/// <summary>
/// Reads the named fields of a detail written as <c>message | name=value | name=value</c>. In details
/// written by this broker every value is escaped (<see cref="AuditEscape"/>), so the split is exact:
/// a <c> | </c> or a <c>name=</c> inside a value cannot be mistaken for a separator or a field.
/// Details written before escaping was introduced are read the same way, best effort.
/// </summary>
internal static class AuditDetailFields
{
    private const string Separator = " | ";

    /// <summary>The message (the segments that are not <c>name=value</c>) and the fields, in order, first occurrence of a name winning.</summary>
    public static (string Message, List<KeyValuePair<string, string>> Fields) Parse(string detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        var fields = new List<KeyValuePair<string, string>>();
        var message = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string[] segments = detail.Split(Separator);
        for (int i = 0; i < segments.Length; i++)
        {
            string segment = segments[i];
            int eq = segment.IndexOf('=', StringComparison.Ordinal);
            if (i > 0 && eq > 0 && IsName(segment.AsSpan(0, eq)))
            {
                string name = segment[..eq];
                if (seen.Add(name))
                {
                    fields.Add(new(name, AuditEscape.Unescape(segment[(eq + 1)..])));
                }

                continue;
            }

            message.Add(segment);
        }

        return (AuditEscape.Unescape(string.Join(Separator, message)), fields);
    }

    private static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 64 || !char.IsAsciiLetterLower(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
