namespace Tessera.Identity;

/// <summary>
/// The <c>status</c> of a platform or app client, as stored. Agents have more states: see
/// <see cref="AgentStatuses"/>.
/// </summary>
public static class ClientStatuses
{
    /// <summary>The client may authenticate.</summary>
    public const string Active = "active";

    /// <summary>The client was removed or deregistered; its credentials no longer work.</summary>
    public const string Inactive = "inactive";

    /// <summary>True when <paramref name="value"/> is one of the statuses above, exactly (ordinal).</summary>
    public static bool IsKnown(string? value) => value is Active or Inactive;
}
