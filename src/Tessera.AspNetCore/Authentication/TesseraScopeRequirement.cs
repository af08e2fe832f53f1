using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Reporting;
using Tessera.Scopes;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// A policy requirement met when a granted scope covers <see cref="Scope"/> (added by
/// <see cref="TesseraAuthenticationExtensions.RequireScope"/>). It handles itself, so no handler
/// registration is needed. With reporting on, the last scope requirement of a policy reports the
/// request as allowed when every scope requirement is met, else as denied with <c>MISSING_SCOPE</c>.
/// </summary>
public sealed class TesseraScopeRequirement : IAuthorizationRequirement, IAuthorizationHandler
{
    /// <summary>Creates a requirement for <paramref name="scope"/>.</summary>
    public TesseraScopeRequirement(Scope scope) => Scope = scope;

    /// <summary>The scope some granted scope must cover.</summary>
    public Scope Scope { get; }

    /// <inheritdoc />
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var claim in context.User.FindAll(TesseraClaimTypes.Scope))
        {
            if (Scope.TryParse(claim.Value, out var held, out _) && held.Covers(Scope))
            {
                context.Succeed(this);
                break;
            }
        }

        if (context.Resource is HttpContext http && context.User.Identity is ClaimsIdentity { IsAuthenticated: true, AuthenticationType: { } scheme } identity &&
            http.RequestServices.GetService<TesseraVerifierCache>()?.ReporterOf(scheme) is { } reporter)
        {
            Report(context, http, identity, reporter);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"TesseraScopeRequirement: requires a scope covering {Scope}";

    private void Report(AuthorizationHandlerContext context, HttpContext http, ClaimsIdentity identity, EnforcementReporter reporter)
    {
        // Requirements are handled in order: the last scope requirement sees the others decided.
        if (!ReferenceEquals(context.Requirements.LastOrDefault(r => r is TesseraScopeRequirement), this) ||
            identity.FindFirst(TesseraClaimTypes.AgentId)?.Value is not { } agent)
        {
            return;
        }

        bool allowed = !context.PendingRequirements.Any(r => r is TesseraScopeRequirement);
        string route = EnforcementPoints.RouteOf(http);
        EnforcementPoints.ReportOnce(http, reporter, allowed
            ? EnforcementOutcome.Allow(agent, http.Request.Method, route)
            : EnforcementOutcome.Deny(agent, VerifierError.MissingScope.Code, http.Request.Method, route));
    }
}
