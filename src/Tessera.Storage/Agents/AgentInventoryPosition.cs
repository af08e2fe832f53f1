namespace Tessera.Storage.Agents;

/// <summary>A position in the inventory's order: the last agent of the previous page.</summary>
/// <param name="CreatedAtMs">Its creation time, Unix ms.</param>
/// <param name="AgentId">Its agent id.</param>
public readonly record struct AgentInventoryPosition(long CreatedAtMs, string AgentId);
