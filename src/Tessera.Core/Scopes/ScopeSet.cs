using System.Diagnostics.CodeAnalysis;

namespace Tessera.Scopes;

/// <summary>
/// An ordered, duplicate-free set of scopes. A set covers another when each requested scope is
/// covered by at least one scope of this set.
/// </summary>
public sealed class ScopeSet
{
    /// <summary>The empty set.</summary>
    public static ScopeSet Empty { get; } = new([]);

    /// <summary>Most scopes accepted in one set.</summary>
    public const int MaxCount = 128;

    private readonly Scope[] _scopes;

    private ScopeSet(Scope[] scopes) => _scopes = scopes;

    /// <summary>The scopes, in the order first given.</summary>
    public IReadOnlyList<Scope> Items => _scopes;

    /// <summary>Number of scopes.</summary>
    public int Count => _scopes.Length;

    /// <summary>Parses a list of scope strings; fails on the first malformed one.</summary>
    public static bool TryParse(IEnumerable<string?> values, [NotNullWhen(true)] out ScopeSet? set, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = new List<Scope>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            if (!Scope.TryParse(value, out var scope, out error))
            {
                set = null;
                return false;
            }

            if (seen.Add(scope.Value))
            {
                list.Add(scope);
            }

            if (list.Count > MaxCount)
            {
                set = null;
                error = $"more than {MaxCount} scopes";
                return false;
            }
        }

        set = new ScopeSet([.. list]);
        error = null;
        return true;
    }

    /// <summary>Parses the space-delimited form used in a JWT <c>scope</c> claim (RFC 9068).</summary>
    public static bool TryParseSpaceDelimited(string? value, [NotNullWhen(true)] out ScopeSet? set, [NotNullWhen(false)] out string? error)
    {
        if (string.IsNullOrEmpty(value))
        {
            set = Empty;
            error = null;
            return true;
        }

        return TryParse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries), out set, out error);
    }

    /// <summary>Builds a set from scopes a caller knows to be valid.</summary>
    public static ScopeSet Of(params string[] values) =>
        TryParse(values, out var set, out var error) ? set : throw new FormatException(error);

    /// <summary>True when one scope of this set covers <paramref name="requested"/>.</summary>
    public bool Covers(Scope requested)
    {
        foreach (var scope in _scopes)
        {
            if (scope.Covers(requested))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when every scope of <paramref name="requested"/> is covered by this set.</summary>
    public bool Covers(ScopeSet requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        return FirstUncovered(requested) is null;
    }

    /// <summary>The first requested scope this set does not cover, or null when all are covered.</summary>
    public Scope? FirstUncovered(ScopeSet requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        foreach (var scope in requested._scopes)
        {
            if (!Covers(scope))
            {
                return scope;
            }
        }

        return null;
    }

    /// <summary>The scope strings as an array.</summary>
    public string[] ToArray()
    {
        var result = new string[_scopes.Length];
        for (int i = 0; i < _scopes.Length; i++)
        {
            result[i] = _scopes[i].Value;
        }

        return result;
    }

    /// <summary>The space-delimited form (RFC 9068 <c>scope</c> claim).</summary>
    public override string ToString() => string.Join(' ', ToArray());
}
