using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tessera.Broker.Authorization;

/// <summary>
/// A scheme whose check has rules of its own (<see cref="CredentialCheckAuthenticationOptions.Check"/>):
/// the revocation feed (public by the operator's choice, or a platform or an admin) and enforcement
/// reports (a platform), both after the per-address limiter of the credential endpoints, which the
/// check takes first. The challenge writes and audits the refusal the check described, as before.
/// </summary>
internal sealed class CredentialCheckAuthenticationHandler(
    IOptionsMonitor<CredentialCheckAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<CredentialCheckAuthenticationOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var check = await Options.Check(Context);
        Context.Features.Set(check);
        if (check.Refusal is not null)
        {
            return AuthenticateResult.Fail("credentials refused");
        }

        Claim[] claims = check.PlatformId is { } platform ? [new Claim(PlatformBasicAuthenticationHandler.PlatformIdClaim, platform)] : [];
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceAsync();
        if (Context.Features.Get<CredentialCheck>()?.Refusal is { } refusal)
        {
            await refusal(Context);
        }
    }
}
