namespace Tessera.Storage.Agents;

/// <summary>The two ways an agent authenticates.</summary>
public static class AgentInventoryKinds
{
    /// <summary>Registered with a launch token (by an orchestrator or an app); holds an Ed25519 key.</summary>
    public const string Registered = "registered";

    /// <summary>Holds standing credentials (a key id with a secret and/or registered public keys).</summary>
    public const string Credential = "credential";
}
