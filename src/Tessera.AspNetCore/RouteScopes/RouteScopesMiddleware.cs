using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Reporting;
using Tessera.Scopes;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// File-driven enforcement. Order: route match → public/skip → authenticate (bearer, shape,
/// alg, kid, signature, iss, aud, time) → route scope. Unknown and skipped routes answer the
/// same 404; nothing reaches a handler unless its rule allows it. With reporting on, the
/// outcome of a protected route (allowed, missing scope, or a refusal of a token whose signature
/// verified) is reported under the rule's path template.
/// </summary>
internal sealed partial class RouteScopesMiddleware(
    RequestDelegate next, IScopesFileSource source, string scheme, TesseraVerifierCache? verifiers, IOptionsMonitor<TesseraAuthenticationOptions>? options)
{
    private EnforcementReporter? _reporter;
    private volatile bool _reporterKnown;
    private ILogger? _logger;

    public async Task InvokeAsync(HttpContext context)
    {
        var format = options?.Get(scheme).ErrorBody ?? ErrorBodyFormat.Problem;
        var file = source.Current;
        if (file is null)
        {
            await VerifierProblem.WriteAsync(context, VerifierError.MiddlewareNotReady, format, "the route scopes file could not be loaded: " + source.LastError);
            return;
        }

        var rule = file.Match(context.Request.Method, context.Request.Path.Value ?? "/");
        if (rule is null || rule.Access == RouteAccess.Skip)
        {
            var logger = _logger ??= context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("Tessera.RouteScopes") ?? NullLogger.Instance;
            if (logger.IsEnabled(LogLevel.Debug))
            {
                string method = Diagnostics.Printable.Cut(context.Request.Method), path = Diagnostics.Printable.Cut(context.Request.Path.Value);
                LogRouteNotFound(logger, method, path, rule is null ? "no rule matches" : "its rule says skip");
            }

            await VerifierProblem.WriteAsync(context, VerifierError.RouteNotFound, format);
            return;
        }

        if (rule.Access == RouteAccess.Public)
        {
            await next(context);
            return;
        }

        var result = await context.AuthenticateAsync(scheme);
        if (!result.Succeeded)
        {
            var error = context.Items[TesseraAuthenticationHandler.FailureKey] as VerifierError ?? VerifierError.MissingToken;
            if (Reporter() is { } reporter && context.Items[EnforcementPoints.VerifiedAgentKey] is string agent)
            {
                EnforcementPoints.ReportOnce(context, reporter, EnforcementOutcome.Deny(agent, error.Code, context.Request.Method, rule.Path));
            }

            await VerifierProblem.WriteAsync(context, error, format, context.Items[TesseraAuthenticationHandler.FailureMessageKey] as string);
            return;
        }

        var held = result.Principal.FindAll(TesseraClaimTypes.Scope)
            .Select(c => Scope.TryParse(c.Value, out var s, out _) ? s : (Scope?)null)
            .Where(s => s is not null)
            .Select(s => s!.Value)
            .ToList();
        bool allowed = rule.RequireAll
            ? rule.Scopes.All(required => held.Any(h => h.Covers(required)))
            : rule.Scopes.Any(required => held.Any(h => h.Covers(required)));
        if (Reporter() is { } outcomes && result.Principal.FindFirst(TesseraClaimTypes.AgentId)?.Value is { } subject)
        {
            EnforcementPoints.ReportOnce(context, outcomes, allowed
                ? EnforcementOutcome.Allow(subject, context.Request.Method, rule.Path)
                : EnforcementOutcome.Deny(subject, VerifierError.MissingScope.Code, context.Request.Method, rule.Path));
        }

        if (!allowed)
        {
            await VerifierProblem.WriteAsync(context, VerifierError.MissingScope, format, null, string.Join(' ', rule.Scopes.Select(s => s.Value)));
            return;
        }

        context.User = result.Principal;
        await next(context);
    }

    [LoggerMessage(EventId = 5219, Level = LogLevel.Debug, Message = "ROUTE_NOT_FOUND for {Method} {Path}: {Why} in the route scopes file")]
    private static partial void LogRouteNotFound(ILogger logger, string method, string path, string why);

    // The scheme's reporter exists once its verifier was built (by the first authentication that
    // reached a token); it never changes after, so it is looked up once.
    private EnforcementReporter? Reporter()
    {
        if (_reporterKnown || verifiers is null)
        {
            return _reporter;
        }

        if (!verifiers.IsBuilt(scheme))
        {
            return null;
        }

        _reporter = verifiers.ReporterOf(scheme);
        _reporterKnown = true;
        return _reporter;
    }
}
