namespace Tessera.Broker.Credentials;

/// <summary>
/// The <c>status</c> of an agent of either kind, as stored: <see cref="Tessera.Identity.ClientStatuses.Active"/>
/// plus the two states only agents have.
/// </summary>
internal static class AgentStatuses
{
    /// <summary>The agent may get tokens.</summary>
    public const string Active = Tessera.Identity.ClientStatuses.Active;

    /// <summary>Held by an operator: no new tokens, outstanding ones revoked; can be unsuspended.</summary>
    public const string Suspended = "suspended";

    /// <summary>Revoked for good.</summary>
    public const string Revoked = "revoked";
}
