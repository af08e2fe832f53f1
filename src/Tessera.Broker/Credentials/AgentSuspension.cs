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
    /// <summary>The same as the overload below, with its services taken from <paramref name="services"/>.</summary>
    public static Task RevokeOutstandingTokensAsync(IServiceProvider services, ClientRecord agent, string reason, CancellationToken cancellationToken) =>
        RevokeOutstandingTokensAsync(
            services.GetRequiredService<RevocationList>(), services.GetRequiredService<TokenService>(), services.GetRequiredService<IOptions<BrokerOptions>>().Value,
            services.GetRequiredService<TimeProvider>(), agent, reason, cancellationToken);

    /// <summary>
    /// Puts the suspended agent on the feed until the tokens it could hold have expired: its token
    /// lifetime (or the exchange default, whichever is longer, under the ceiling), plus the leeway.
    /// </summary>
    public static Task RevokeOutstandingTokensAsync(
        RevocationList revocations, TokenService tokens, BrokerOptions options, TimeProvider time, ClientRecord agent, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        int lifetime = tokens.ClampToCeiling(Math.Max(agent.TokenTtl, options.ExchangeTtl));
        long expires = time.GetUtcNow().AddSeconds(lifetime).ToUnixTimeMilliseconds();
        return revocations.RevokeAsync(RevocationLevel.Agent, agent.EntityId, "suspended: " + reason, expires, cancellationToken);
    }
}
