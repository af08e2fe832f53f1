using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.Broker.Revocation;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The <see cref="BrokerSchemes.RevocationFeed"/> scheme: who may read the revocation feed, decided by
/// <see cref="RevocationFeedAccess"/> (public by the operator's choice, or after the per-address limiter a
/// platform's HTTP Basic credentials or an admin token). Refusals answer and audit as before.
/// </summary>
internal sealed class RevocationFeedAuthenticationHandler(
    IOptionsMonitor<RevocationFeedAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<RevocationFeedAuthenticationOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var access = await RevocationFeedAccess.DecideAsync(Context);
        Context.Features.Set(access);
        if (access.Refusal is not null)
        {
            return AuthenticateResult.Fail("revocation feed refused");
        }

        Claim[] claims = access.Reader.PlatformId is { } platform ? [new Claim(PlatformBasicAuthenticationHandler.PlatformIdClaim, platform)] : [];
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceAsync();
        if (Context.Features.Get<FeedAccess>()?.Refusal is { } refusal)
        {
            await refusal(Context);
        }
    }
}
