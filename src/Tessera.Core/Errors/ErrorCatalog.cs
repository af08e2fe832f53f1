using System.Collections.Frozen;

namespace Tessera.Errors;

/// <summary>
/// The one list of every error code Tessera answers with. <c>docs/errors.md</c> is tested
/// against it, so a code added here without documentation fails the build's tests.
/// </summary>
public static class ErrorCatalog
{
    /// <summary>400: the body or a parameter is malformed, missing or of the wrong type.</summary>
    public static readonly ErrorDescriptor InvalidRequest = new(
        "invalid_request", 400, "Bad Request",
        "The request body is not valid JSON, a required field is missing, or a field has the wrong type or an invalid value. The detail names the field.",
        "Send a JSON object with every required field of the endpoint, each of the documented type (see docs/api.md).");

    /// <summary>400: a scope string does not follow the scope grammar.</summary>
    public static readonly ErrorDescriptor InvalidScopeFormat = new(
        "invalid_scope_format", 400, "Bad Request",
        "A scope is not two or more non-empty segments separated by ':' made of letters, digits and '-', '_', '.', '/', or '*' as a whole segment.",
        "Write scopes as action:resource:identifier (for example read:data:customer-123) or resource:action (orders:read).");

    /// <summary>400: a TTL is zero, negative or above the ceiling.</summary>
    public static readonly ErrorDescriptor InvalidTtl = new(
        "invalid_ttl", 400, "Bad Request",
        "A requested TTL is zero or negative, or exceeds the launch policy's max_ttl or the broker's TESSERA_MAX_TTL ceiling.",
        "Request a TTL between 1 and the ceiling named in the detail, or ask the operator for a launch token with a larger max_ttl.");

    /// <summary>401: missing or invalid credentials of any kind.</summary>
    public static readonly ErrorDescriptor Unauthorized = new(
        "unauthorized", 401, "Unauthorized",
        "Missing or invalid Bearer token, wrong admin secret, or a launch token, nonce, public key or signature that does not check out. The detail says which.",
        "Read the detail: re-authenticate, fetch a fresh nonce and sign its hex-decoded bytes, send the raw 32-byte Ed25519 public key, or ask the operator for a new launch token.");

    /// <summary>403: requested scope is wider than the ceiling that applies.</summary>
    public static readonly ErrorDescriptor ScopeViolation = new(
        "scope_violation", 403, "Forbidden",
        "A requested scope is not covered by the ceiling that applies (the launch token's allowed_scope, or the delegator's scope).",
        "Request only scopes covered by the ceiling; ask the operator for a launch token with a wider allowed_scope if you really need more.");

    /// <summary>403: the requested audience is not allowed by the launch policy.</summary>
    public static readonly ErrorDescriptor AudienceNotAllowed = new(
        "audience_not_allowed", 403, "Forbidden",
        "The audience requested at registration is not one of the launch token's allowed_audience entries.",
        "Request one of the audiences listed in the launch policy, or ask the operator for a launch token that allows this platform.");

    /// <summary>403: the delegation chain is already as deep as allowed.</summary>
    public static readonly ErrorDescriptor DelegationDepthExceeded = new(
        "delegation_depth_exceeded", 403, "Forbidden",
        "The delegating token is already as many hops deep as the broker allows (TESSERA_MAX_DELEGATION_DEPTH, default 5).",
        "Delegate from a token higher up the chain, or ask the operator to raise the limit if deeper chains are really needed.");

    /// <summary>403: renewal of a delegated token.</summary>
    public static readonly ErrorDescriptor DelegatedTokenNotRenewable = new(
        "delegated_token_not_renewable", 403, "Forbidden",
        "POST /v1/token/renew was called with a delegated token. A delegated token may never outlive the token it was delegated from, so it is not renewed.",
        "Ask the delegating agent to delegate again (POST /v1/delegate) before the token expires.");

    /// <summary>403: the agent concerned has been revoked.</summary>
    public static readonly ErrorDescriptor AgentRevoked = new(
        "agent_revoked", 403, "Forbidden",
        "The agent named in the request (for example the delegate_to of a delegation) has been revoked by an operator; no new token may name it. The token endpoint answers it too for a revoked agent credential.",
        "Delegate to another agent, or register a new agent with a fresh launch token (or create a new credential agent); revocation is permanent.");

    /// <summary>403: the bearer token lacks the scope the endpoint needs.</summary>
    public static readonly ErrorDescriptor InsufficientScope = new(
        "insufficient_scope", 403, "Forbidden",
        "The Bearer token is valid but does not carry the scope this endpoint requires (for example an agent token calling an admin endpoint).",
        "Call the endpoint with a token that holds the scope named in the detail, such as an admin token from POST /v1/admin/auth.");

    /// <summary>404: no such route or resource.</summary>
    public static readonly ErrorDescriptor NotFound = new(
        "not_found", 404, "Not Found",
        "No endpoint exists at this path, or the named resource does not exist.",
        "Check the path against docs/api.md and the identifier you sent.");

    /// <summary>405: the path exists but not for this method.</summary>
    public static readonly ErrorDescriptor MethodNotAllowed = new(
        "method_not_allowed", 405, "Method Not Allowed",
        "The path exists but does not accept this HTTP method.",
        "Use the method documented for the endpoint in docs/api.md; the Allow header lists the accepted ones.");

    /// <summary>409: the resource exists already or is in a state that forbids the change.</summary>
    public static readonly ErrorDescriptor Conflict = new(
        "conflict", 409, "Conflict",
        "The request clashes with existing state: for example an app with that name already exists, or the app was deregistered.",
        "Pick another name, or act on the existing resource (GET it first to see its state).");

    /// <summary>413: the body is larger than the broker accepts.</summary>
    public static readonly ErrorDescriptor PayloadTooLarge = new(
        "payload_too_large", 413, "Payload Too Large",
        "The request body is larger than the broker accepts (1 MB unless TESSERA_MAX_BODY_BYTES says otherwise).",
        "Send a smaller body; no broker request needs more than a few kilobytes.");

    /// <summary>415: the body is not JSON.</summary>
    public static readonly ErrorDescriptor UnsupportedMediaType = new(
        "unsupported_media_type", 415, "Unsupported Media Type",
        "The request has a body whose Content-Type is not application/json.",
        "Send the body as JSON with Content-Type: application/json.");

    /// <summary>429: too many requests from this client.</summary>
    public static readonly ErrorDescriptor RateLimited = new(
        "rate_limited", 429, "Too Many Requests",
        "The client exceeded the endpoint's rate limit: admin auth 5 per second (burst 10) per address; app auth 10 per minute (burst 3) per client_id; challenge, register and validate 100 per second (burst 200) per address. All are configurable.",
        "Wait the number of seconds in the Retry-After header, then retry with backoff; cache admin tokens for their lifetime instead of re-authenticating.");

    /// <summary>401: client authentication at the token endpoint failed.</summary>
    public static readonly ErrorDescriptor InvalidClient = new(
        "invalid_client", 401, "Unauthorized",
        "Client authentication failed: the key id is unknown, the secret is wrong, the client assertion is malformed, badly signed, expired, too long-lived, for another audience or already used, or no credentials were sent. Unknown key ids and wrong secrets get the same answer on purpose, so the endpoint cannot be used to find valid key ids.",
        "Send the agent's key_id and secret (HTTP Basic or client_id/client_secret in the body), or a fresh private_key_jwt assertion (iss = sub = key_id, aud = the token endpoint URL, exp at most 5 minutes ahead, a new jti) signed by a key registered for the agent.");

    /// <summary>401: the secret was rotated and its grace window has ended.</summary>
    public static readonly ErrorDescriptor SecretExpired = new(
        "secret_expired", 401, "Unauthorized",
        "The secret presented was the agent's previous secret, and the grace window after its rotation (TESSERA_SECRET_ROTATION_GRACE, default 24 hours) has ended.",
        "Use the secret returned by the latest rotate-secret call; if it was lost, rotate again and deploy the new secret.");

    /// <summary>400: the token endpoint was asked for a grant type it does not serve.</summary>
    public static readonly ErrorDescriptor UnsupportedGrantType = new(
        "unsupported_grant_type", 400, "Bad Request",
        "grant_type is not client_credentials, the only grant the token endpoint serves (a missing grant_type is invalid_request).",
        "Send grant_type=client_credentials.");

    /// <summary>400: the resource (platform) is missing, malformed or unknown.</summary>
    public static readonly ErrorDescriptor InvalidTarget = new(
        "invalid_target", 400, "Bad Request",
        "The resource parameter (RFC 8707) names no registered platform, by id or by base URL, or is missing while the agent holds grants on several platforms.",
        "Send resource= the platform_id, or the platform's base URL (scheme://hostname), of a platform the agent is granted on.");

    /// <summary>400: the agent holds no grant on the requested platform.</summary>
    public static readonly ErrorDescriptor PlatformNotGranted = new(
        "platform_not_granted", 400, "Bad Request",
        "The platform exists but the agent holds no grant on it, so no token for it can be issued.",
        "Ask the operator to grant the agent scopes on this platform (POST /v1/admin/agents/{id}/grants, or tessera agents grant).");

    /// <summary>400: a requested scope is outside the agent's grant on the platform.</summary>
    public static readonly ErrorDescriptor ScopeNotGranted = new(
        "scope_not_granted", 400, "Bad Request",
        "A scope in the request is not covered by the agent's grant on the platform (the agent tried to call with a scope it was not granted).",
        "Request only granted scopes (an empty scope means the full grant), or ask the operator to widen the grant.");

    /// <summary>403: the agent is suspended.</summary>
    public static readonly ErrorDescriptor AgentSuspended = new(
        "agent_suspended", 403, "Forbidden",
        "The agent is suspended: by an operator, or automatically after TESSERA_SUSPEND_AFTER_DENIALS (default 50) consecutive permission denials reported by verifiers. A suspended agent gets no new tokens.",
        "Review the denials in the audit log (event agent_suspended names the reason), fix the agent's scopes or code, then unsuspend it (POST /v1/admin/agents/{id}/unsuspend, or tessera agents unsuspend).");

    /// <summary>429: too many authentication attempts from one client address.</summary>
    public static readonly ErrorDescriptor RateLimitedAddress = new(
        "rate_limited_address", 429, "Too Many Requests",
        "One client address sent more token-endpoint or discovery requests than TESSERA_TOKEN_ADDRESS_RATE per second (burst TESSERA_TOKEN_ADDRESS_BURST). This is brute-force protection.",
        "Wait the seconds in Retry-After; cache tokens for their lifetime instead of exchanging for every call.");

    /// <summary>429: one agent exceeded its budget.</summary>
    public static readonly ErrorDescriptor RateLimitedAgent = new(
        "rate_limited_agent", 429, "Too Many Requests",
        "A single agent exchanged credentials more often than TESSERA_AGENT_RATE per second (burst TESSERA_AGENT_BURST).",
        "Wait the seconds in Retry-After; cache each platform's token until shortly before it expires (the Tessera SDK does).");

    /// <summary>429: tokens for one platform are being requested too fast.</summary>
    public static readonly ErrorDescriptor RateLimitedPlatform = new(
        "rate_limited_platform", 429, "Too Many Requests",
        "Tokens for one platform were requested more often than TESSERA_PLATFORM_RATE per second (burst TESSERA_PLATFORM_BURST), across all agents.",
        "Wait the seconds in Retry-After; if the traffic is legitimate, ask the operator to raise the platform limit.");

    /// <summary>429: the endpoint as a whole is at capacity.</summary>
    public static readonly ErrorDescriptor RateLimitedEndpoint = new(
        "rate_limited_endpoint", 429, "Too Many Requests",
        "The endpoint as a whole received more than TESSERA_ENDPOINT_RATE requests per second (burst TESSERA_ENDPOINT_BURST) from all callers.",
        "Wait the seconds in Retry-After and retry with backoff; the operator can raise the limit or add replicas.");

    /// <summary>429: too many open revocation streams.</summary>
    public static readonly ErrorDescriptor TooManyStreams = new(
        "too_many_streams", 429, "Too Many Requests",
        "The client address already holds TESSERA_REVOCATION_STREAMS_PER_ADDRESS open revocation streams (GET /v1/revocations/stream), or the broker holds TESSERA_REVOCATION_STREAMS_MAX in total.",
        "Follow the feed with one stream per verifier process and close streams you no longer read; wait the seconds in Retry-After. If many verifiers share one address (NAT), ask the operator to raise the per-address limit.");

    /// <summary>500: an unexpected failure inside the broker.</summary>
    public static readonly ErrorDescriptor InternalError = new(
        "internal_error", 500, "Internal Server Error",
        "An unexpected failure inside the broker, for example storage that cannot be written.",
        "Retry later; if it persists, look up the request_id in the broker's log and check the database file's disk space and permissions.");

    /// <summary>503: storage is unavailable or overloaded.</summary>
    public static readonly ErrorDescriptor ServiceUnavailable = new(
        "service_unavailable", 503, "Service Unavailable",
        "The broker cannot durably record the operation right now (the audit writer is overloaded or storage is unavailable), so it refuses rather than answer without a record.",
        "Retry after the Retry-After interval; if it persists, check the database's disk and the broker's log.");

    /// <summary>Every code in the catalog, in documentation order.</summary>
    public static IReadOnlyList<ErrorDescriptor> All { get; } =
    [
        InvalidRequest, InvalidScopeFormat, InvalidTtl, Unauthorized, ScopeViolation, AudienceNotAllowed,
        DelegationDepthExceeded, DelegatedTokenNotRenewable, AgentRevoked, InsufficientScope, NotFound, MethodNotAllowed, Conflict, PayloadTooLarge, UnsupportedMediaType, RateLimited,
        InvalidClient, SecretExpired, UnsupportedGrantType, InvalidTarget, PlatformNotGranted, ScopeNotGranted, AgentSuspended,
        RateLimitedAddress, RateLimitedAgent, RateLimitedPlatform, RateLimitedEndpoint, TooManyStreams,
        InternalError, ServiceUnavailable,
    ];

    private static readonly FrozenDictionary<string, ErrorDescriptor> ByCode =
        All.ToFrozenDictionary(e => e.Code, StringComparer.Ordinal);

    /// <summary>Looks a code up; false when the code is not in the catalog.</summary>
    public static bool TryGet(string code, out ErrorDescriptor descriptor)
    {
        if (ByCode.TryGetValue(code, out var found))
        {
            descriptor = found;
            return true;
        }

        descriptor = InternalError;
        return false;
    }
}
