using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Tessera.Broker.Credentials;

/// <summary>
/// OpenAPI-only descriptions for endpoints of this folder that bind by hand. A request body read by hand
/// (after the endpoint's own rate limit, or only when no <c>Authorization</c> header is sent) is
/// described without <c>Accepts&lt;T&gt;</c>, which would add
/// accepts metadata, so routing never refuses a content type on its own: the endpoint keeps its
/// own refusals and their shapes. Query parameters bound as <c>StringValues</c> are described as strings.
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

    /// <summary>
    /// Documents every query parameter as one string: they are bound as <c>StringValues</c> only so that a
    /// repeated one can be refused by name, which the document would otherwise show as an array.
    /// </summary>
    public static TBuilder DocumentsQueryAsSingleStrings<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, context, cancellationToken) =>
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is OpenApiParameter { In: ParameterLocation.Query } query)
                {
                    query.Schema = new OpenApiSchema { Type = JsonSchemaType.String };
                }
            }

            return Task.CompletedTask;
        });
}
