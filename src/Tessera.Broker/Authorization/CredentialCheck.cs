using Microsoft.AspNetCore.Http;

namespace Tessera.Broker.Authorization;

/// <summary>
/// The outcome of a credential check that has its own rules (the revocation feed, enforcement reports),
/// kept on the request's features: the caller is let in (as <see cref="PlatformId"/>, or null for an
/// admin or a public feed), or <see cref="Refusal"/> writes and audits the refusal.
/// </summary>
internal sealed record CredentialCheck(string? PlatformId, Func<HttpContext, Task>? Refusal)
{
    public static CredentialCheck Allow(string? platformId = null) => new(platformId, null);

    public static CredentialCheck Refuse(Func<HttpContext, Task> refusal) => new(null, refusal);
}
