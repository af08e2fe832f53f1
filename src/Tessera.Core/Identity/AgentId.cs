using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Tessera.Identity;

/// <summary>
/// An agent's identity as a SPIFFE ID:
/// <c>spiffe://{trust_domain}/agent/{orch_id}/{task_id}/{instance}</c>, where instance is 16
/// lowercase hex characters drawn at registration.
/// </summary>
public readonly record struct AgentId
{
    private AgentId(string value) => Value = value;

    /// <summary>The SPIFFE ID as a string.</summary>
    public string Value { get; }

    /// <summary>Creates a new agent id with a fresh random instance.</summary>
    public static AgentId Create(TrustDomain trustDomain, string orchId, string taskId)
    {
        if (!IsPathSegment(orchId))
        {
            throw new ArgumentException("orch_id is not a valid path segment", nameof(orchId));
        }

        if (!IsPathSegment(taskId))
        {
            throw new ArgumentException("task_id is not a valid path segment", nameof(taskId));
        }

        string instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return new AgentId($"spiffe://{trustDomain.Name}/agent/{orchId}/{taskId}/{instance}");
    }

    /// <summary>Parses a SPIFFE agent id.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out AgentId id)
    {
        id = default;
        if (text is null || text.Length > 2048 || !text.StartsWith("spiffe://", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text.AsSpan("spiffe://".Length);
        int slash = rest.IndexOf('/');
        if (slash <= 0 || !TrustDomain.IsValidName(rest[..slash]))
        {
            return false;
        }

        var path = rest[(slash + 1)..];
        int parts = 0;
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            if (parts == 0 && !segment.SequenceEqual("agent"))
            {
                return false;
            }

            if (parts > 0 && !IsPathSegment(segment))
            {
                return false;
            }

            if (parts == 3 && !IsInstance(segment))
            {
                return false;
            }

            parts++;
        }

        if (parts != 4)
        {
            return false;
        }

        id = new AgentId(text);
        return true;
    }

    private static bool IsInstance(ReadOnlySpan<char> segment)
    {
        if (segment.Length != 16)
        {
            return false;
        }

        foreach (char c in segment)
        {
            if (!(c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="segment"/> is usable as one SPIFFE path segment.</summary>
    public static bool IsPathSegment(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty || segment.Length > 128 || segment is "." or "..")
        {
            return false;
        }

        foreach (char c in segment)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
