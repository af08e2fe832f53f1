using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;

namespace Tessera.Broker.Http;

/// <summary>
/// Keeps the broker's own Content-Type refusal on endpoints with a JSON request body. Routing's
/// <c>AcceptsMatcherPolicy</c> answers a request whose <c>Content-Type</c> is not among an endpoint's
/// <see cref="IAcceptsMetadata.ContentTypes"/> with a bare 415 before the endpoint runs (detail
/// "unsupported media type" instead of "Content-Type must be application/json", and even when an
/// optional body was not sent). An accepts entry without content types still names the request type
/// and whether it is optional, so the OpenAPI document keeps the request body (as application/json,
/// its default), and the matcher policy leaves the endpoint alone: the body reader refuses as before.
/// </summary>
internal static class BodyContentTypes
{
    /// <summary>Replaces the endpoints' accepted content types by the broker's own check (see the type's summary).</summary>
    public static TBuilder LeaveContentTypeToTheBodyReader<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            for (int i = 0; i < endpoint.Metadata.Count; i++)
            {
                if (endpoint.Metadata[i] is IAcceptsMetadata { ContentTypes.Count: > 0 } accepts)
                {
                    endpoint.Metadata[i] = new AcceptsMetadata([], accepts.RequestType, accepts.IsOptional);
                }
            }
        });
        return builder;
    }
}
