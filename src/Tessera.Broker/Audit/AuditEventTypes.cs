namespace Tessera.Broker.Audit;

/// <summary>Audit event type names (the seed broker's set, kept verbatim).</summary>
public static class AuditEventTypes
{
    /// <summary>Admin authenticated.</summary>
    public const string AdminAuth = "admin_auth";

    /// <summary>Admin authentication refused.</summary>
    public const string AdminAuthFailed = "admin_auth_failed";

    /// <summary>Launch token created.</summary>
    public const string LaunchTokenIssued = "launch_token_issued";

    /// <summary>Launch token request refused.</summary>
    public const string LaunchTokenDenied = "launch_token_denied";

    /// <summary>Agent registered.</summary>
    public const string AgentRegistered = "agent_registered";

    /// <summary>Registration refused by policy (scope, audience, TTL) or failed a check.</summary>
    public const string RegistrationPolicyViolation = "registration_policy_violation";

    /// <summary>Registration failed (launch token, nonce, key or signature).</summary>
    public const string RegistrationFailed = "registration_failed";

    /// <summary>Token issued.</summary>
    public const string TokenIssued = "token_issued";

    /// <summary>Token revoked.</summary>
    public const string TokenRevoked = "token_revoked";

    /// <summary>Token renewed.</summary>
    public const string TokenRenewed = "token_renewed";

    /// <summary>Token released by its holder.</summary>
    public const string TokenReleased = "token_released";

    /// <summary>Renewal refused.</summary>
    public const string TokenRenewalFailed = "token_renewal_failed";

    /// <summary>A token failed verification (validate endpoint or bearer check).</summary>
    public const string TokenAuthFailed = "token_auth_failed";

    /// <summary>A revoked token was presented.</summary>
    public const string TokenRevokedAccess = "token_revoked_access";

    /// <summary>A delegation was made.</summary>
    public const string DelegationCreated = "delegation_created";

    /// <summary>A delegation was refused: wider scope or too deep.</summary>
    public const string DelegationAttenuationViolation = "delegation_attenuation_violation";

    /// <summary>The signing key was rotated.</summary>
    public const string KeyRotated = "key_rotated";

    /// <summary>An audit export was taken.</summary>
    public const string AuditExported = "audit_exported";

    /// <summary>An app was registered.</summary>
    public const string AppRegistered = "app_registered";

    /// <summary>An app authenticated.</summary>
    public const string AppAuthenticated = "app_authenticated";

    /// <summary>An app authentication was refused.</summary>
    public const string AppAuthFailed = "app_auth_failed";

    /// <summary>An app's grant, lifetime or secret changed.</summary>
    public const string AppUpdated = "app_updated";

    /// <summary>An app was deregistered.</summary>
    public const string AppDeregistered = "app_deregistered";

    /// <summary>App authentication was rate limited.</summary>
    public const string AppRateLimited = "app_rate_limited";

    /// <summary>A token lacked the scope an endpoint requires.</summary>
    public const string ScopeViolation = "scope_violation";

    /// <summary>A platform was registered.</summary>
    public const string PlatformRegistered = "platform_registered";

    /// <summary>A platform's fields or secret changed.</summary>
    public const string PlatformUpdated = "platform_updated";

    /// <summary>A platform was removed, with every grant on it.</summary>
    public const string PlatformRemoved = "platform_removed";

    /// <summary>An agent with standing credentials was created.</summary>
    public const string AgentCreated = "agent_created";

    /// <summary>An agent's details, keys or secret changed.</summary>
    public const string AgentUpdated = "agent_updated";

    /// <summary>An agent was suspended (by an operator or automatically).</summary>
    public const string AgentSuspended = "agent_suspended";

    /// <summary>An agent's suspension was lifted.</summary>
    public const string AgentUnsuspended = "agent_unsuspended";

    /// <summary>An agent was revoked, permanently.</summary>
    public const string AgentRevoked = "agent_revoked";

    /// <summary>An agent's grant on a platform was set or replaced.</summary>
    public const string GrantSet = "grant_set";

    /// <summary>An agent's grant on a platform was removed.</summary>
    public const string GrantRemoved = "grant_removed";

    /// <summary>Credentials were exchanged for a platform token.</summary>
    public const string TokenExchanged = "token_exchanged";

    /// <summary>A credential exchange or discovery was refused.</summary>
    public const string TokenExchangeFailed = "token_exchange_failed";

    /// <summary>A verifier reported requests it allowed.</summary>
    public const string EnforcementAllowed = "enforcement_allowed";

    /// <summary>A verifier reported requests it denied.</summary>
    public const string EnforcementDenied = "enforcement_denied";

    /// <summary>A platform reported outcomes about agents it does not serve; they were ignored (one event per report, attributed to no agent).</summary>
    public const string EnforcementIgnored = "enforcement_ignored";

    /// <summary>A request was refused by a rate limit.</summary>
    public const string RateLimited = "rate_limited";
}
