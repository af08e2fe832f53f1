using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Tessera.Broker.Authorization;

/// <summary>
/// Serves the broker's policies by name (<see cref="BrokerPolicies"/>), so that a route group names its
/// scope and nothing has to be registered for it up front; other names go to the default provider.
/// </summary>
internal sealed class ScopePolicyProvider(IOptions<AuthorizationOptions> options) : DefaultAuthorizationPolicyProvider(options)
{
    public override async Task<AuthorizationPolicy?> GetPolicyAsync(string policyName) =>
        await base.GetPolicyAsync(policyName) ?? BrokerPolicies.Build(policyName);
}
