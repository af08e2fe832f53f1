namespace Tessera.Storage.Agents;

/// <summary>Registered agents.</summary>
public interface IAgentStore
{
    /// <summary>Finds an agent by SPIFFE ID.</summary>
    Task<AgentRecord?> FindAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Number of agents registered.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken);
}
