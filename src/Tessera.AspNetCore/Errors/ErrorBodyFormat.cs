namespace Tessera.AspNetCore.Errors;

/// <summary>
/// The body of a verifier refusal (401, 403, 404, 500, 503). The status, the stable <c>error_code</c>
/// and the RFC 6750 <c>WWW-Authenticate</c> challenge are the same in every format.
/// </summary>
public enum ErrorBodyFormat
{
    /// <summary>
    /// RFC 9457 <c>application/problem+json</c> with <c>type</c>, <c>title</c>, <c>status</c>,
    /// <c>detail</c>, <c>instance</c>, <c>error_code</c>, <c>message</c>, <c>request_id</c> (and
    /// <c>required_scope</c> on a 403). The default.
    /// </summary>
    Problem,

    /// <summary>
    /// MudraID's platform middleware body, exactly <c>{"error_code": …, "message": …}</c> as
    /// <c>application/json</c>, for clients written against that middleware.
    /// </summary>
    MudraId,
}
