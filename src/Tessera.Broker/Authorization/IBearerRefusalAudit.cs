using Microsoft.AspNetCore.Http;
using Tessera.Broker.Http;

namespace Tessera.Broker.Authorization;

/// <summary>
/// Endpoint metadata for an endpoint whose refused bearer tokens are audited as its own event type
/// (token renewal) instead of the general one <see cref="BearerAuthenticator.AuditDeniedAsync"/> records.
/// </summary>
internal interface IBearerRefusalAudit
{
    /// <summary>Records the refusal of <paramref name="auth"/>, answered with <paramref name="problem"/>.</summary>
    Task RecordAsync(HttpContext context, BearerResult auth, ProblemResult problem);
}
