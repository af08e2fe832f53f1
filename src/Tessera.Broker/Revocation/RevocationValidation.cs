using System.Globalization;
using Tessera.Errors;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Revocation;

/// <summary>
/// Validation of the revocation endpoints' requests: the body of <c>POST /v1/revoke</c> and the cursor
/// of the feed (<c>since</c>, <c>limit</c> of <c>GET /v1/revocations</c> and its stream).
/// </summary>
internal static class RevocationValidation
{
    /// <summary>Longest <c>target</c> accepted.</summary>
    public const int MaxTargetLength = 512;

    /// <summary>Longest <c>reason</c> kept; the rest is cut.</summary>
    public const int MaxReasonLength = 200;

    /// <summary>The reason recorded when none is given.</summary>
    public const string DefaultReason = "revoked by operator";

    /// <summary>The page size when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 500;

    /// <summary>
    /// <c>level</c> (one of the five) and <c>target</c> (at most <see cref="MaxTargetLength"/> characters,
    /// no spaces or control characters, not <c>admin</c> at level agent): <c>400 invalid_request</c>.
    /// </summary>
    public static Failure? CheckRevokeRequest(RevokeRequest request)
    {
        if (string.IsNullOrEmpty(request.Level) || string.IsNullOrEmpty(request.Target))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "level and target are required");
        }

        if (!RevocationLevel.IsValid(request.Level))
        {
            string shown = request.Level.Length > 32 || HasControl(request.Level) ? "(unprintable)" : request.Level;
            return new Failure(ErrorCatalog.InvalidRequest, $"invalid revocation level: {shown}", "use token, agent, task, chain or app");
        }

        if (request.Target.Length > MaxTargetLength || HasControlOrSpace(request.Target))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "target must be at most 512 characters without spaces");
        }

        if (request.Level == RevocationLevel.Agent && request.Target == "admin")
        {
            return new Failure(ErrorCatalog.InvalidRequest, "admin tokens are revoked one by one (level token, target the jti), not as an agent", "revoking every admin token would lock the operator out");
        }

        return null;
    }

    /// <summary>
    /// The reason to record: <see cref="DefaultReason"/> when blank, else its first
    /// <see cref="MaxReasonLength"/> characters without control characters.
    /// </summary>
    public static string Reason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return DefaultReason;
        }

        int length = Math.Min(reason.Length, MaxReasonLength);
        Span<char> kept = stackalloc char[MaxReasonLength];
        int count = 0;
        for (int i = 0; i < length; i++)
        {
            if (!char.IsControl(reason[i]))
            {
                kept[count++] = reason[i];
            }
        }

        return new string(kept[..count]);
    }

    /// <summary>
    /// The feed's cursor: <paramref name="since"/> a non-negative integer (default 0),
    /// <paramref name="limit"/> 1 to 1000 (default <see cref="DefaultLimit"/>); null means not sent.
    /// </summary>
    public static Failure? CheckCursor(string? since, string? limit, out long after, out int pageSize)
    {
        after = 0;
        pageSize = DefaultLimit;
        if (since is not null && !long.TryParse(since, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "since must be a cursor returned as next_cursor (a non-negative integer)");
        }

        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 1000))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "limit must be between 1 and 1000");
        }

        return null;
    }

    private static bool HasControl(string value)
    {
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasControlOrSpace(string value)
    {
        foreach (char c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return true;
            }
        }

        return false;
    }
}
