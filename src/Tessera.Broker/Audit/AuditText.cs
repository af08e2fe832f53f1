using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Tessera.Broker.Audit;

/// <summary>
/// Builds an audit detail from an interpolated string, the seed broker's
/// <c>message | name=value | name=value</c> text. The literal parts are the broker's own and are
/// kept; every interpolated value is escaped (<see cref="AuditEscape.Value"/>), so a value can
/// never add a <c> | </c> separator, a field, a line break or a terminal control sequence: the
/// separators and field names in a detail only ever come from the broker.
/// </summary>
[InterpolatedStringHandler]
internal readonly struct AuditText
{
    private readonly StringBuilder _builder;

    /// <summary>Called by the compiler for an interpolated string.</summary>
    public AuditText(int literalLength, int formattedCount) =>
        _builder = new StringBuilder(literalLength + (formattedCount * 16));

    /// <summary>A broker-composed literal part, kept (control characters still escaped).</summary>
    public void AppendLiteral(string value) => AuditEscape.AppendText(_builder, value);

    /// <summary>An interpolated value, escaped.</summary>
    public void AppendFormatted<T>(T value) => AuditEscape.AppendValue(_builder, Format(value, null));

    /// <summary>An interpolated value with a format, escaped.</summary>
    public void AppendFormatted<T>(T value, string? format) => AuditEscape.AppendValue(_builder, Format(value, format));

    /// <summary>A fragment the broker composed itself (for example an optional <c> | name=value</c> suffix built by <see cref="AuditFragment"/>).</summary>
    public void AppendFormatted(AuditFragment fragment) => _builder.Append(fragment.Text);

    /// <inheritdoc/>
    public override string ToString() => _builder?.ToString() ?? "";

    private static string? Format<T>(T value, string? format) =>
        value is IFormattable formattable ? formattable.ToString(format, CultureInfo.InvariantCulture) : value?.ToString();
}

/// <summary>
/// A piece of detail text built by <see cref="AuditText"/> to be inserted into another detail as is,
/// such as an optional <c> | app_id=…</c> suffix. Its values were escaped when it was built.
/// </summary>
internal readonly record struct AuditFragment(string Text)
{
    /// <summary>Nothing.</summary>
    public static AuditFragment Empty => new("");

    /// <summary>Builds a fragment; its interpolated values are escaped.</summary>
    public static AuditFragment Of(AuditText text) => new(text.ToString());

    /// <summary>The fragment text.</summary>
    public override string ToString() => Text ?? "";
}
