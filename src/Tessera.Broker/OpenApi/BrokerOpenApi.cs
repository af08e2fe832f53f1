using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Tessera.Broker.OpenApi;

/// <summary>
/// The broker's OpenAPI 3.1 document, generated from the mapped endpoints by
/// <c>Microsoft.AspNetCore.OpenApi</c> (their routes, parameters, typed results, request bodies,
/// authorization policies, rate limits and declared error codes) and served at
/// <c>GET /v1/openapi.json</c> and <c>GET /v1/openapi.yaml</c>. The document does not depend on the
/// configuration (no <c>servers</c>, every way an endpoint can be authorized is listed), so the copy
/// committed as <c>docs/openapi.yaml</c> is byte for byte the served one; a test holds them equal and
/// <c>scripts/update-openapi.sh</c> rewrites the copy.
/// </summary>
internal static class BrokerOpenApi
{
    /// <summary>The one document the broker describes.</summary>
    public const string DocumentName = "v1";

    /// <summary>Registers the generator and the broker's transformers.</summary>
    public static IServiceCollection AddBrokerOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer<DocumentTransformer>();
            options.AddOperationTransformer<OperationTransformer>();
        });
        services.AddSingleton<ServedDocument>();
        return services;
    }

    /// <summary>Maps <c>GET /v1/openapi.json</c> and <c>GET /v1/openapi.yaml</c>, both anonymous.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var docs = app.MapGroup("/v1").AllowAnonymous().WithTags("Documentation");
        docs.MapGet("/openapi.json", (ServedDocument document, CancellationToken cancellationToken) => document.JsonAsync(cancellationToken))
            .WithName("getOpenApiJson")
            .WithSummary("This API's OpenAPI 3.1 document, as JSON")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        docs.MapGet("/openapi.yaml", (ServedDocument document, CancellationToken cancellationToken) => document.YamlAsync(cancellationToken))
            .WithName("getOpenApiYaml")
            .WithSummary("This API's OpenAPI 3.1 document, as YAML (the same document as docs/openapi.yaml)")
            .Produces(StatusCodes.Status200OK, contentType: "application/yaml");
    }

    /// <summary>
    /// The document, generated once on first use and kept: the endpoints do not change while the
    /// broker runs, and generation takes tens of milliseconds that an anonymous caller should not be
    /// able to make the broker spend again and again.
    /// </summary>
    internal sealed class ServedDocument([FromKeyedServices(DocumentName)] IOpenApiDocumentProvider provider)
    {
        private readonly Lazy<Task<(byte[] Json, byte[] Yaml)>> document = new(() => GenerateAsync(provider));

        public async Task<IResult> JsonAsync(CancellationToken cancellationToken) =>
            TypedResults.Bytes((await document.Value.WaitAsync(cancellationToken)).Json, "application/json; charset=utf-8");

        public async Task<IResult> YamlAsync(CancellationToken cancellationToken) =>
            TypedResults.Bytes((await document.Value.WaitAsync(cancellationToken)).Yaml, "application/yaml; charset=utf-8");

        /// <summary>The YAML text, as committed in <c>docs/openapi.yaml</c>.</summary>
        public async Task<string> YamlTextAsync(CancellationToken cancellationToken) =>
            Encoding.UTF8.GetString((await document.Value.WaitAsync(cancellationToken)).Yaml);

        private static async Task<(byte[] Json, byte[] Yaml)> GenerateAsync(IOpenApiDocumentProvider provider)
        {
            var generated = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
            string json = await generated.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
            string yaml = await generated.SerializeAsYamlAsync(OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
            return (Encoding.UTF8.GetBytes(Normalize(json)), Encoding.UTF8.GetBytes(Normalize(yaml)));
        }

        private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
    }
}
