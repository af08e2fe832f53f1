using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The authorization middleware authenticates a request with the endpoint's policy before it looks
/// at <c>AllowAnonymous</c>; with a fallback policy set, every anonymous endpoint (health, challenge,
/// registration, validation, the token endpoint) would run the bearer scheme for nothing: a handler
/// created and initialized per request, about a tenth of the cheapest route's throughput (measured
/// with bench/Tessera.LoadGen). No anonymous endpoint of the broker reads the principal (those that
/// take credentials check them themselves), so for them authentication is skipped; every other
/// endpoint is evaluated by the framework's <see cref="PolicyEvaluator"/> unchanged.
/// </summary>
internal sealed class AnonymousEndpointPolicyEvaluator(IAuthorizationService authorization) : IPolicyEvaluator
{
    private readonly PolicyEvaluator inner = new(authorization);

    public Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null
            ? Task.FromResult(AuthenticateResult.NoResult())
            : inner.AuthenticateAsync(policy, context);

    public Task<PolicyAuthorizationResult> AuthorizeAsync(AuthorizationPolicy policy, AuthenticateResult authenticationResult, HttpContext context, object? resource) =>
        inner.AuthorizeAsync(policy, authenticationResult, context, resource);
}
