namespace Tessera.Identity;

/// <summary>
/// The <c>status</c> of an agent of either kind (registered with a launch token, or holding standing
/// credentials), as stored and as the admin API shows it.
/// </summary>
public static class AgentStatuses
{
    /// <summary>The agent may get and use tokens.</summary>
    public const string Active = "active";

    /// <summary>Paused by an operator: its tokens are refused and it gets no new ones until unsuspended.</summary>
    public const string Suspended = "suspended";

    /// <summary>Ended by an operator, for good: its tokens are refused and it never gets another.</summary>
    public const string Revoked = "revoked";

    /// <summary>True when <paramref name="value"/> is one of the statuses above, exactly (ordinal).</summary>
    public static bool IsKnown(string? value) => value is Active or Suspended or Revoked;
}
