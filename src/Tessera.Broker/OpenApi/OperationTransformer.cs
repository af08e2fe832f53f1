using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Tessera.Broker.Authorization;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.OpenApi;

/// <summary>
/// Per operation, from the endpoint's metadata: the security requirement its authorization policy
/// stands for (an explicit empty one for anonymous endpoints), and one problem+json response per
/// error status it can answer, naming the codes: those of its policy (401, 403), its rate limit
/// (429), its request body (400, 413, 415) and those it declares with <c>ProducesErrors</c>.
/// </summary>
internal sealed class OperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var errors = new List<ErrorDescriptor>();

        bool anonymous = metadata.OfType<IAllowAnonymous>().Any();
        string? policy = anonymous ? null : metadata.OfType<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
        operation.Security = anonymous ? [] : Requirements(policy, context.Document, errors);

        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            errors.Add(ErrorCatalog.RateLimited);
        }

        foreach (var declared in metadata.OfType<ErrorsMetadata>())
        {
            errors.AddRange(declared.Errors);
        }

        // Whatever reads or writes storage answers 503 when the database or the audit log cannot make
        // the operation durable; only the documents and the health and metrics endpoints never do.
        if (!metadata.OfType<Microsoft.AspNetCore.Http.Metadata.ITagsMetadata>().Any(t => t.Tags.Contains("Documentation") || t.Tags.Contains("Health")))
        {
            errors.Add(ErrorCatalog.ServiceUnavailable);
        }

        AddProblemResponses(operation, context.Document, errors);
        await DescribeAlternativesAsync(operation, context, cancellationToken);
    }

    /// <summary>
    /// An answer that is one of several types for one status (an agent of either kind, say):
    /// ApiExplorer keeps only one of them, so the response becomes a <c>oneOf</c> of all.
    /// </summary>
    private static async Task DescribeAlternativesAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var produced = context.Description.ActionDescriptor.EndpointMetadata
            .OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>()
            .Where(p => p.Type is not null && p.Type != typeof(void) && !typeof(Microsoft.AspNetCore.Http.IResult).IsAssignableFrom(p.Type))
            .GroupBy(p => p.StatusCode);
        foreach (var status in produced)
        {
            var types = status.Select(p => p.Type!).Distinct().ToList();
            if (types.Count < 2 || operation.Responses?.TryGetValue(status.Key.ToString(CultureInfo.InvariantCulture), out var response) != true
                || response!.Content?.TryGetValue("application/json", out var media) != true || context.Document is not { } document)
            {
                continue;
            }

            var alternatives = new List<IOpenApiSchema>();
            foreach (var type in types)
            {
                string id = type.Name;
                document.Components ??= new OpenApiComponents();
                if (document.Components.Schemas?.ContainsKey(id) != true)
                {
                    document.AddComponent(id, await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
                }

                alternatives.Add(new OpenApiSchemaReference(id, document));
            }

            ((OpenApiMediaType)media!).Schema = new OpenApiSchema { OneOf = alternatives };
        }
    }

    /// <summary>The security requirements of a policy, adding the refusals it answers with to <paramref name="errors"/>.</summary>
    private static List<OpenApiSecurityRequirement> Requirements(string? policy, OpenApiDocument? document, List<ErrorDescriptor> errors)
    {
        var bearer = new OpenApiSecuritySchemeReference(DocumentTransformer.BearerScheme, document);
        var basic = new OpenApiSecuritySchemeReference(DocumentTransformer.BasicScheme, document);
        switch (policy)
        {
            case BrokerPolicies.Bearer:
                errors.Add(ErrorCatalog.Unauthorized);
                errors.Add(ErrorCatalog.InsufficientScope);
                return [new OpenApiSecurityRequirement { [bearer] = [] }];
            case BrokerPolicies.PlatformItselfOrAdmin:
                errors.Add(ErrorCatalog.Unauthorized);
                errors.Add(ErrorCatalog.InsufficientScope);
                return [new OpenApiSecurityRequirement { [basic] = [] }, new OpenApiSecurityRequirement { [bearer] = ["admin:platforms:*"] }];
            case BrokerPolicies.RevocationFeed:
                // With TESSERA_PUBLIC_REVOCATION_FEED the feed asks for nothing; otherwise a platform's
                // credentials or an admin token. The document lists all three ways.
                errors.Add(ErrorCatalog.InvalidClient);
                errors.Add(ErrorCatalog.RateLimited);
                return [new OpenApiSecurityRequirement(), new OpenApiSecurityRequirement { [basic] = [] }, new OpenApiSecurityRequirement { [bearer] = ["admin:*:*"] }];
            case BrokerPolicies.EnforcementReporter:
                errors.Add(ErrorCatalog.InvalidClient);
                errors.Add(ErrorCatalog.RateLimited);
                return [new OpenApiSecurityRequirement { [basic] = [] }];
            case not null when policy.StartsWith("scope:", StringComparison.Ordinal):
                errors.Add(ErrorCatalog.Unauthorized);
                errors.Add(ErrorCatalog.InsufficientScope);
                return [new OpenApiSecurityRequirement { [bearer] = [policy["scope:".Length..]] }];
            default:
                // No policy and not anonymous: the fallback policy closes the endpoint.
                errors.Add(ErrorCatalog.Unauthorized);
                errors.Add(ErrorCatalog.InsufficientScope);
                return [new OpenApiSecurityRequirement { [bearer] = [] }];
        }
    }

    private static void AddProblemResponses(OpenApiOperation operation, OpenApiDocument? document, List<ErrorDescriptor> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }

        operation.Responses ??= [];
        foreach (var group in errors.DistinctBy(e => e.Code).GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            string status = group.Key.ToString(CultureInfo.InvariantCulture);
            var text = new StringBuilder();
            foreach (var error in group.OrderBy(e => e.Code, StringComparer.Ordinal))
            {
                text.Append(text.Length == 0 ? "" : "\n").Append("- `").Append(error.Code).Append("`: ").Append(error.Cause);
            }

            var response = new OpenApiResponse
            {
                Description = text.ToString(),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(DocumentTransformer.ProblemSchema, document) },
                },
            };
            if (group.Key is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                };
            }
            else if (group.Key == StatusCodes.Status401Unauthorized)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["WWW-Authenticate"] = new OpenApiHeader { Description = "The scheme to authenticate with, and for a bearer token why it was refused (RFC 6750).", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                };
            }

            operation.Responses[status] = response;
        }
    }
}
