using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;

namespace Tessera.Broker.Authorization;

/// <summary>Meets a <see cref="PlatformOrScopeRequirement"/> for the route's own platform or a token with the scope.</summary>
internal sealed class PlatformOrScopeAuthorizationHandler(TokenService tokens) : AuthorizationHandler<PlatformOrScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PlatformOrScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            return Task.CompletedTask;
        }

        if (context.User.FindFirst(PlatformBasicAuthenticationHandler.PlatformIdClaim) is { } platform)
        {
            if (string.Equals(platform.Value, http.Request.RouteValues[requirement.RouteKey] as string, StringComparison.Ordinal))
            {
                context.Succeed(requirement);
            }
        }
        else if (http.Features.Get<BearerFeature>() is { Result: { Problem: null, Claims: { } claims } } feature)
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
