using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>
/// Endpoint metadata: error codes of the catalog an endpoint can answer with. The OpenAPI document
/// turns them into one <c>application/problem+json</c> response per status, naming each code.
/// Several of these on one endpoint add up (the request body's refusals, the route group's, the
/// endpoint's own).
/// </summary>
internal sealed class ErrorsMetadata(IReadOnlyList<ErrorDescriptor> errors)
{
    /// <summary>The codes, in declaration order.</summary>
    public IReadOnlyList<ErrorDescriptor> Errors { get; } = errors;
}

/// <summary>Declaring what an endpoint answers, for the OpenAPI document the broker serves.</summary>
internal static class EndpointDocumentation
{
    /// <summary>
    /// Declares error codes an endpoint (or every endpoint of a group) can answer with, beyond those its
    /// authorization policy, rate limit and request body already imply.
    /// </summary>
    public static TBuilder ProducesErrors<TBuilder>(this TBuilder builder, params ErrorDescriptor[] errors)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ErrorsMetadata(errors));
}

/// <summary>
/// The problem document every refusal carries (RFC 9457 with the broker's fields); written by
/// <see cref="ProblemResult"/>, described by this type in the OpenAPI document.
/// </summary>
/// <param name="Type"><c>urn:tessera:error:</c> followed by the error code.</param>
/// <param name="Title">The code's short title.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What was wrong with this request.</param>
/// <param name="Instance">The request path.</param>
/// <param name="ErrorCode">The stable error code (see <c>docs/errors.md</c>).</param>
/// <param name="RequestId">The request id, also in the <c>X-Request-Id</c> response header.</param>
/// <param name="Hint">What to do about it, when there is something to say.</param>
/// <param name="DocsUrl">Where the code is documented.</param>
internal sealed record ProblemDocument(
    string Type,
    string Title,
    int Status,
    string Detail,
    string Instance,
    string ErrorCode,
    string RequestId,
    string? Hint,
    string? DocsUrl);

/// <summary>Typed-result helpers for handlers.</summary>
internal static class Problems
{
    /// <summary>The problem document of <paramref name="failure"/>.</summary>
    public static ProblemResult ToResult(this Failure failure) => ProblemResult.From(failure);
}
