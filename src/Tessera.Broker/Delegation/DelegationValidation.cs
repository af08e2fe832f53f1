using Tessera.Broker.Registration;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Scopes;

namespace Tessera.Broker.Delegation;

/// <summary>
/// Validation of <c>POST /v1/delegate</c>: the request itself, checked once the delegating agent is
/// known to be registered and not suspended, before anything is compared with its token.
/// </summary>
internal static class DelegationValidation
{
    /// <summary>The lifetime asked for when <c>ttl</c> is not sent, in seconds.</summary>
    public const int DefaultTtl = 60;

    /// <summary>
    /// <c>delegate_to</c> (an agent SPIFFE ID), <c>scope</c> (non-empty, well-formed, nothing reserved) and
    /// <c>ttl</c> (positive, default <see cref="DefaultTtl"/>).
    /// </summary>
    /// <param name="request">The request as read.</param>
    /// <param name="requested">The parsed scope, when the request is valid.</param>
    /// <param name="ttl">The requested lifetime, when the request is valid.</param>
    public static Failure? CheckRequest(DelegateRequest request, out ScopeSet requested, out int ttl)
    {
        requested = ScopeSet.Empty;
        ttl = 0;
        if (string.IsNullOrEmpty(request.DelegateTo))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "delegate_to is required");
        }

        if (!AgentId.TryParse(request.DelegateTo, out _))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "delegate_to must be an agent SPIFFE ID (spiffe://<trust-domain>/agent/<orch>/<task>/<instance>)");
        }

        if (request.Scope is null || request.Scope.Length == 0)
        {
            return new Failure(ErrorCatalog.InvalidRequest, "scope must not be empty");
        }

        if (!ScopeSet.TryParse(request.Scope, out var parsed, out string? scopeError))
        {
            return new Failure(ErrorCatalog.InvalidScopeFormat, scopeError);
        }

        if (RegistrationValidation.ReservedScope(parsed) is { } reserved)
        {
            return new Failure(ErrorCatalog.ScopeViolation, "requested scope is in a reserved namespace", $"'{reserved}' is under admin: or app:, which no agent token may carry");
        }

        int asked = request.Ttl ?? DefaultTtl;
        if (asked <= 0)
        {
            return new Failure(ErrorCatalog.InvalidTtl, "ttl must be a positive number of seconds");
        }

        requested = parsed;
        ttl = asked;
        return null;
    }
}
