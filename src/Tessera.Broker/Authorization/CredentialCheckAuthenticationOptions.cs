using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Tessera.Broker.Authorization;

/// <summary>Options of <see cref="CredentialCheckAuthenticationHandler"/>: the check the scheme runs.</summary>
internal sealed class CredentialCheckAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Decides whether the request's credentials are accepted; set by the scheme's registration.</summary>
    public Func<HttpContext, Task<CredentialCheck>> Check { get; set; } = _ => throw new InvalidOperationException("the scheme has no credential check");
}
