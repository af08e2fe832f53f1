using Tessera.Storage.Agents;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Credentials;

/// <summary>
/// One lookup over both kinds of agent: those registered with a launch token and those with
/// standing credentials. Returns the agent's status (<c>active</c>, <c>suspended</c>,
/// <c>revoked</c>), or null when no agent has that id.
/// </summary>
internal sealed class AgentDirectory(IAgentStore registered, IClientStore clients)
{
    public async Task<string?> StatusAsync(string agentId, CancellationToken cancellationToken)
    {
        if (await registered.FindAsync(agentId, cancellationToken) is { } agent)
        {
            return agent.Status;
        }

        return await clients.FindByEntityIdAsync(agentId, cancellationToken) is { Kind: CredentialExchange.AgentKind } client ? client.Status : null;
    }
}
