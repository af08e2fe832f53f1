using System.Diagnostics.CodeAnalysis;

namespace Tessera.Scopes;

/// <summary>
/// A permission: two or more non-empty segments separated by <c>:</c>, for example
/// <c>read:data:customer-123</c> or <c>orders:read</c>. A segment that is exactly <c>*</c>
/// covers any one value in that position; every other segment matches exactly, and the
/// number of segments must be equal. Coverage therefore never widens: <c>read:data:*</c>
/// covers <c>read:data:x</c>, never the reverse.
/// </summary>
public readonly record struct Scope
{
    /// <summary>Longest scope accepted, in characters.</summary>
    public const int MaxLength = 256;

    private Scope(string value) => Value = value;

    /// <summary>The scope as written.</summary>
    public string Value { get; }

    /// <summary>Parses a scope; returns false with a reason when it does not follow the grammar.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Scope scope, [NotNullWhen(false)] out string? error)
    {
        scope = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "scope must not be empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"scope longer than {MaxLength} characters";
            return false;
        }

        int segments = 1;
        int segmentStart = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ':')
            {
                int length = i - segmentStart;
                if (length == 0)
                {
                    error = $"invalid scope '{Printable(text)}': empty segment";
                    return false;
                }

                // '*' is only meaningful as a whole segment; "ab*" would suggest a prefix match we do not do.
                if (length > 1 && text.AsSpan(segmentStart, length).Contains('*'))
                {
                    error = $"invalid scope '{Printable(text)}': '*' must be a whole segment";
                    return false;
                }

                if (i < text.Length)
                {
                    segments++;
                }

                segmentStart = i + 1;
                continue;
            }

            if (!IsSegmentChar(text[i]))
            {
                error = $"invalid scope '{Printable(text)}': character not allowed";
                return false;
            }
        }

        if (segments < 2)
        {
            error = $"invalid scope '{Printable(text)}': expected action:resource:identifier or resource:action";
            return false;
        }

        scope = new Scope(text);
        error = null;
        return true;
    }

    /// <summary>Parses a scope that the caller knows to be well-formed; throws otherwise.</summary>
    /// <exception cref="FormatException">The text is not a valid scope.</exception>
    public static Scope Parse(string text) =>
        TryParse(text, out var scope, out var error) ? scope : throw new FormatException(error);

    /// <summary>True when this scope grants everything <paramref name="requested"/> grants.</summary>
    public bool Covers(Scope requested)
    {
        ReadOnlySpan<char> mine = Value;
        ReadOnlySpan<char> theirs = requested.Value;
        if (mine.Count(':') != theirs.Count(':'))
        {
            return false;
        }

        while (true)
        {
            int a = mine.IndexOf(':');
            int b = theirs.IndexOf(':');
            var segA = a < 0 ? mine : mine[..a];
            var segB = b < 0 ? theirs : theirs[..b];

            // A wildcard in the ceiling covers any value; a wildcard in the request is only
            // covered by a wildcard, so a narrow scope never grows into a wide one.
            bool ok = segA is "*" || segA.SequenceEqual(segB);
            if (!ok)
            {
                return false;
            }

            if (a < 0)
            {
                return true;
            }

            mine = mine[(a + 1)..];
            theirs = theirs[(b + 1)..];
        }
    }

    /// <summary>
    /// True when the scope's first segment is <c>admin</c> or <c>app</c>: the broker's own namespaces,
    /// granted only to the operator's and apps' tokens and never carried by an agent token,
    /// however a wildcard ceiling would cover it.
    /// </summary>
    public bool IsReserved =>
        Value is { } v && (v.StartsWith("admin:", StringComparison.Ordinal) || v.StartsWith("app:", StringComparison.Ordinal));

    /// <summary>True when <paramref name="scope"/> parses as a scope in the reserved <c>admin:</c> or <c>app:</c> namespace.</summary>
    public static bool IsReservedValue(string? scope) =>
        scope is not null && (scope.StartsWith("admin:", StringComparison.Ordinal) || scope.StartsWith("app:", StringComparison.Ordinal));

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;

    private static bool IsSegmentChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.' or '/' or '*';

    // Error messages echo the input; keep them printable and short so a hostile scope cannot
    // inject control characters into logs or responses.
    private static string Printable(string text)
    {
        Span<char> buffer = stackalloc char[Math.Min(text.Length, 64)];
        for (int i = 0; i < buffer.Length; i++)
        {
            char c = text[i];
            buffer[i] = c is >= ' ' and < (char)127 ? c : '?';
        }

        return text.Length > 64 ? string.Concat(buffer, "...") : new string(buffer);
    }
}
