using Tessera.Storage.LaunchTokens;

namespace Tessera.Storage.Agents;

/// <summary>
/// The write side of registration: uses the launch token and stores the agent in one atomic
/// transaction, so a single-use launch token yields exactly one agent under any concurrency.
/// </summary>
public interface IRegistrationStore
{
    /// <summary>
    /// Atomically uses the launch token (checking expiry and, if single-use, that it is unused)
    /// and, only if that succeeds, inserts <paramref name="agent"/>.
    /// </summary>
    Task<LaunchTokenConsumeResult> RegisterAsync(AgentRecord agent, long nowMs, CancellationToken cancellationToken);
}
