using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The <see cref="BrokerSchemes.Bearer"/> scheme: <see cref="BearerAuthenticator"/> checks the token
/// (signature, issuer, time, revocation). Challenges and refusals answer exactly as the hand-written
/// check did: the same problem, status and <c>WWW-Authenticate</c>, and the same audit event.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<BearerAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, BearerAuthenticator bearer)
    : AuthenticationHandler<BearerAuthenticationOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = bearer.Authenticate(Context);
        Context.Features.Set(new BearerFeature(auth));
        if (auth.Problem is { } denied)
        {
            return Task.FromResult(AuthenticateResult.Fail(denied.Detail));
        }

        var claims = auth.Claims!;
        var identity = new ClaimsIdentity([new Claim("sub", claims.Subject)], Scheme.Name, "sub", null);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    /// <summary>A missing, malformed, invalid, expired or revoked token: 401 (403 for a revoked one) as before.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceAsync();
        var auth = Context.Features.Get<BearerFeature>()!.Result;

        // A valid token is challenged only if something other than a policy asks for it.
        var denied = auth.Problem ?? new ProblemResult(ErrorCatalog.Unauthorized, "missing authorization header", "send Authorization: Bearer <token>", "Bearer realm=\"tessera\"");
        await RefuseAsync(auth, denied);
    }

    /// <summary>A valid token without the policy's scope: 403 <c>insufficient_scope</c> naming the scope, as before.</summary>
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var feature = Context.Features.Get<BearerFeature>()!;
        var denied = feature.MissingScope is { } scope
            ? BearerAuthenticator.LacksScope(scope)
            : new ProblemResult(ErrorCatalog.InsufficientScope, "this endpoint declares no authorization and is closed", null, "Bearer realm=\"tessera\", error=\"insufficient_scope\"");
        await RefuseAsync(BearerResult.Fail(denied, Tessera.Tokens.TokenError.None, feature.Result.Claims), denied);
    }

    private async Task RefuseAsync(BearerResult auth, ProblemResult denied)
    {
        if (Context.GetEndpoint()?.Metadata.GetMetadata<IBearerRefusalAudit>() is { } audit)
        {
            await audit.RecordAsync(Context, auth, denied);
        }
        else
        {
            await bearer.AuditDeniedAsync(auth, denied, Context);
        }

        await denied.ExecuteAsync(Context);
    }
}
