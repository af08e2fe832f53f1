namespace Tessera.Storage.Agents;

/// <summary>Registered agents.</summary>
public interface IAgentStore
{
    /// <summary>Finds an agent by SPIFFE ID.</summary>
    Task<AgentRecord?> FindAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Sets an agent's status; false when there is no such agent.</summary>
    Task<bool> SetStatusAsync(string agentId, string status, CancellationToken cancellationToken);

    /// <summary>Number of agents registered.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);
}
