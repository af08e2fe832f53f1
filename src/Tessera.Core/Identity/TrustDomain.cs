using System.Diagnostics.CodeAnalysis;

namespace Tessera.Identity;

/// <summary>A SPIFFE trust domain name: lowercase letters, digits, '.', '-' and '_'.</summary>
public readonly record struct TrustDomain
{
    private TrustDomain(string name) => Name = name;

    /// <summary>The trust domain name, for example <c>tessera.local</c>.</summary>
    public string Name { get; }

    /// <summary>Parses a trust domain name.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out TrustDomain domain)
    {
        domain = default;
        if (text is null || !IsValidName(text))
        {
            return false;
        }

        domain = new TrustDomain(text);
        return true;
    }

    /// <summary>Parses a trust domain the caller knows to be valid.</summary>
    public static TrustDomain Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"'{text}' is not a valid trust domain");

    internal static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 255)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Name ?? string.Empty;
}
