namespace Tessera.Storage.Agents;

/// <summary>A page of the inventory.</summary>
/// <param name="Agents">The agents, in order.</param>
/// <param name="Total">How many agents match the filters, over every page.</param>
/// <param name="Next">Where the next page starts, or null on the last page.</param>
public sealed record AgentInventoryPage(IReadOnlyList<AgentInventoryEntry> Agents, long Total, AgentInventoryPosition? Next);
