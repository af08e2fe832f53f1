using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Storage.Clients;
using Tessera.Storage.Revocations;

namespace Tessera.Broker.Credentials;

/// <summary>
/// What a suspension does to tokens already issued: the status stops new tokens, and an
/// <c>agent</c> entry on the revocation feed stops the agent's outstanding tokens, and every
/// token delegated from them, at the broker and at every verifier within the feed's second.
/// </summary>
internal static class AgentSuspension
{
    /// <summary>
    /// Puts the suspended agent on the feed until the tokens it could hold have expired: its token
    /// lifetime (or the exchange default, whichever is longer, under the ceiling), plus the leeway.
    /// </summary>
    public static Task RevokeOutstandingTokensAsync(IServiceProvider services, ClientRecord agent, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        int lifetime = services.GetRequiredService<TokenService>().ClampToCeiling(Math.Max(agent.TokenTtl, options.ExchangeTtl));
        long expires = services.GetRequiredService<TimeProvider>().GetUtcNow().AddSeconds(lifetime).ToUnixTimeMilliseconds();
        return services.GetRequiredService<RevocationList>().RevokeAsync(RevocationLevel.Agent, agent.EntityId, "suspended: " + reason, expires, cancellationToken);
    }
}
