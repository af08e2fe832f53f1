using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The fallback policy's requirement: an endpoint the broker maps that declares neither a policy nor
/// <c>AllowAnonymous</c> is closed to everyone, never open. A request that matched no mapped endpoint
/// passes, so the status-code pages still answer it with 404 or 405.
/// </summary>
internal sealed class UndeclaredEndpointRequirement : AuthorizationHandler<UndeclaredEndpointRequirement>, IAuthorizationRequirement
{
    public static readonly UndeclaredEndpointRequirement Instance = new();

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, UndeclaredEndpointRequirement requirement)
    {
        // No endpoint (404), or routing's own "405 HTTP Method Not Supported" endpoint, which is no RouteEndpoint.
        if (context.Resource is HttpContext http && http.GetEndpoint() is not RouteEndpoint)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
