namespace Tessera.Storage.Agents;

/// <summary>An agent seen at a time, for <see cref="IAgentInventory.RecordSeenAsync"/>.</summary>
/// <param name="AgentId">The agent id (a registered agent's SPIFFE id, or a credential agent's).</param>
/// <param name="AtMs">When, Unix ms.</param>
public readonly record struct AgentSeen(string AgentId, long AtMs);
