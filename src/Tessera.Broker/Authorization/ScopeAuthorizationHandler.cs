using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;

namespace Tessera.Broker.Authorization;

/// <summary>
/// Meets a <see cref="ScopeRequirement"/> when the authenticated bearer token grants the scope, by the
/// same rule the hand-written check applied (<see cref="BearerAuthenticator.Grants"/>); otherwise notes the
/// missing scope for the refusal.
/// </summary>
internal sealed class ScopeAuthorizationHandler(TokenService tokens) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is HttpContext http && http.Features.Get<BearerFeature>() is { Result.Claims: { } claims } feature && feature.Result.Problem is null)
        {
            if (BearerAuthenticator.Grants(claims, requirement.Scope, tokens.Issuer))
            {
                context.Succeed(requirement);
            }
            else
            {
                feature.MissingScope ??= requirement.Scope;
            }
        }

        return Task.CompletedTask;
    }
}
