using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tessera.Broker.Audit;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;

namespace Tessera.Broker.Tokens;

/// <summary>
/// <c>POST /v1/token/renew</c> records a refused token as a failed renewal (<c>token.renewal_failed</c>),
/// every time, rather than as the throttled general refusal.
/// </summary>
internal sealed class RenewalRefusalAudit : IBearerRefusalAudit
{
    public static readonly RenewalRefusalAudit Instance = new();

    public Task RecordAsync(HttpContext context, BearerResult auth, ProblemResult problem)
    {
        var services = context.RequestServices;
        return services.GetRequiredService<AuditLog>().RecordAsync(
            AuditDraft.Of(services.GetRequiredService<TimeProvider>(), AuditEventTypes.TokenRenewalFailed, Tessera.Audit.AuditOutcomes.Denied, $"token renewal failed | {problem.Detail}", auth.Claims?.Subject, auth.Claims?.TaskId, auth.Claims?.OrchId),
            cancellationToken: context.RequestAborted);
    }
}
