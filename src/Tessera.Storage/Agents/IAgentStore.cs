namespace Tessera.Storage.Agents;

/// <summary>Registered agents.</summary>
public interface IAgentStore
{
    /// <summary>Finds an agent by SPIFFE ID.</summary>
    Task<AgentRecord?> FindAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Sets an agent's status; false when there is no such agent.</summary>
    Task<bool> SetStatusAsync(string agentId, string status, CancellationToken cancellationToken);

    /// <summary>
    /// Moves an agent to <paramref name="to"/> only if its status is one of <paramref name="from"/>,
    /// in one atomic step (a compare-and-set: of two racing transitions at most one sees the status
    /// it started from). False when there is no such agent or its status was not one of them.
    /// </summary>
    Task<bool> TransitionAsync(string agentId, IReadOnlyList<string> from, string to, CancellationToken cancellationToken);

    /// <summary>Number of agents registered.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);
}
