using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Broker.Credentials;
using Tessera.Broker.Http;
using Tessera.Broker.Platforms;
using Tessera.Errors;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The <see cref="BrokerSchemes.PlatformBasic"/> scheme: a registered, active platform's own
/// <c>client_id</c> and <c>client_secret</c> in HTTP Basic, checked by <see cref="ClientAuthenticator"/>.
/// The principal carries the platform id as <see cref="PlatformIdClaim"/>.
/// </summary>
internal sealed class PlatformBasicAuthenticationHandler(
    IOptionsMonitor<PlatformBasicAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ClientAuthenticator clients)
    : AuthenticationHandler<PlatformBasicAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The claim naming the authenticated platform (its id, without the <c>platform:</c> prefix).</summary>
    public const string PlatformIdClaim = "platform_id";

    private const string EntityPrefix = "platform:";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = await clients.AuthenticateBasicAsync(Context, PlatformAdminEndpoints.Kind);
        if (auth.Client is not { Status: Tessera.Identity.ClientStatuses.Active } client || !client.EntityId.StartsWith(EntityPrefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.Fail(auth.Error is null ? "platform is removed" : auth.Detail);
        }

        var identity = new ClaimsIdentity([new Claim(PlatformIdClaim, client.EntityId[EntityPrefix.Length..])], Scheme.Name, PlatformIdClaim, null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>Bad or missing credentials: 401 <c>unauthorized</c> with a Basic challenge.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => RefuseAsync();

    /// <summary>Another platform's credentials: the same 401 as bad ones, so nothing tells them apart.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => RefuseAsync();

    private Task RefuseAsync() =>
        new ProblemResult(ErrorCatalog.Unauthorized, "platform authentication failed", "send this platform's client_id and client_secret with HTTP Basic, or an admin token", "Basic realm=\"tessera\"").ExecuteAsync(Context);
}
