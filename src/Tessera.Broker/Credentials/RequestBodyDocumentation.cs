using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Tessera.Broker.Credentials;

/// <summary>
/// Describes, in the OpenAPI document only, a request body an endpoint reads by hand (after its own
/// rate limit, or only when no <c>Authorization</c> header is sent). Unlike <c>Accepts&lt;T&gt;</c>, it adds no
/// accepts metadata, so routing never refuses a content type on its own: the endpoint keeps its
/// own refusals and their shapes.
/// </summary>
internal static class RequestBodyDocumentation
{
    /// <summary>Documents <typeparamref name="T"/> as the request body, in each of <paramref name="contentTypes"/>.</summary>
    public static TBuilder DocumentsRequestBody<T, TBuilder>(this TBuilder builder, bool required, params string[] contentTypes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var body = new OpenApiRequestBody { Required = required, Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) };
            foreach (string contentType in contentTypes)
            {
                body.Content[contentType] = new OpenApiMediaType { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken) };
            }

            operation.RequestBody = body;
        });
}
