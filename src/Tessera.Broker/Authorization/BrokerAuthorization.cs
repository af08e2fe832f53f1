using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Tokens;

namespace Tessera.Broker.Authorization;

/// <summary>Registers the broker's authentication scheme and policies, and reads what they found.</summary>
internal static class BrokerAuthorization
{
    /// <summary>
    /// The bearer scheme, the scope policies on demand, and the fallback policy that closes an endpoint
    /// declaring neither a policy nor <c>AllowAnonymous</c>.
    /// </summary>
    public static IServiceCollection AddBrokerAuthorization(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<BearerAuthenticationOptions, BearerAuthenticationHandler>(BrokerSchemes.Bearer, null)
            .AddScheme<PlatformBasicAuthenticationOptions, PlatformBasicAuthenticationHandler>(BrokerSchemes.PlatformBasic, null)
            .AddScheme<CredentialCheckAuthenticationOptions, CredentialCheckAuthenticationHandler>(BrokerSchemes.RevocationFeed, o => o.Check = Revocation.RevocationFeedAccess.DecideAsync)
            .AddScheme<CredentialCheckAuthenticationOptions, CredentialCheckAuthenticationHandler>(BrokerSchemes.EnforcementReporter, o => o.Check = Enforcement.EnforcementAccess.DecideAsync)
            .AddPolicyScheme(BrokerSchemes.PlatformOrBearer, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? BrokerSchemes.PlatformBasic : BrokerSchemes.Bearer);
        services.AddAuthorization(o => o.FallbackPolicy = BrokerPolicies.Fallback);
        services.AddTransient<Microsoft.AspNetCore.Authorization.Policy.IPolicyEvaluator, AnonymousEndpointPolicyEvaluator>();
        services.AddSingleton<IAuthorizationPolicyProvider, ScopePolicyProvider>();
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationHandler, PlatformOrScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationHandler>(UndeclaredEndpointRequirement.Instance);
        return services;
    }

    /// <summary>The claims of the bearer token the endpoint's policy authenticated.</summary>
    public static AccessTokenClaims BearerClaims(this HttpContext context) =>
        (context.Features.Get<BearerFeature>() ?? throw new InvalidOperationException("the endpoint has no bearer policy")).Claims;
}
