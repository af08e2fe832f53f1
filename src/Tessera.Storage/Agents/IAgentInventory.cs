using Tessera.Storage.Clients;

namespace Tessera.Storage.Agents;

/// <summary>
/// Every agent whichever way it came in: registered with a launch token (<see cref="AgentRecord"/>)
/// or holding standing credentials (<see cref="ClientRecord"/> of kind <c>agent</c>), listed
/// one page per query.
/// </summary>
public interface IAgentInventory
{
    /// <summary>
    /// One page of agents matching <paramref name="query"/>, ordered by creation time then agent id,
    /// in a single statement (the page, the total and the credential agents' grants).
    /// </summary>
    Task<AgentInventoryPage> ListAsync(AgentInventoryQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Records when agents were last seen (a token issued to them), for either kind: each agent's
    /// <see cref="AgentInventoryEntry.LastSeenAtMs"/> becomes the later of what it was and the time
    /// given. Agents that do not exist are skipped. Called in batches, not per request.
    /// </summary>
    Task RecordSeenAsync(IReadOnlyCollection<AgentSeen> seen, CancellationToken cancellationToken);
}
