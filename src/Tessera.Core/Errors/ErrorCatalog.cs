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
        "The agent named in the request (for example the delegate_to of a delegation) has been revoked by an operator; no new token may name it.",
        "Delegate to another agent, or register a new agent with a fresh launch token.");

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
