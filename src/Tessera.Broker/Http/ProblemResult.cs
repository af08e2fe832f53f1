using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Errors;

namespace Tessera.Broker.Http;

/// <summary>
/// Writes an RFC 9457 problem document (<c>application/problem+json</c>) carrying the seed
/// broker's fields (<c>type title status detail instance error_code request_id hint</c>) plus
/// <c>docs_url</c>.
/// </summary>
internal sealed class ProblemResult(ErrorDescriptor error, string detail, string? hint = null, string? wwwAuthenticate = null) : IResult
{
    public ErrorDescriptor Error => error;

    public string Detail => detail;

    public static ProblemResult From(Failure failure, string? wwwAuthenticate = null) =>
        new(failure.Error, failure.Detail, failure.Hint, wwwAuthenticate);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/problem+json";
        if (wwwAuthenticate is not null)
        {
            response.Headers.WWWAuthenticate = wwwAuthenticate;
        }

        var links = httpContext.RequestServices.GetService(typeof(DocsLinks)) as DocsLinks;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", "urn:tessera:error:" + error.Code);
        writer.WriteString("title", error.Title);
        writer.WriteNumber("status", error.Status);
        writer.WriteString("detail", detail);
        writer.WriteString("instance", httpContext.Request.Path.Value ?? "/");
        writer.WriteString("error_code", error.Code);
        writer.WriteString("request_id", RequestIdMiddleware.Get(httpContext));
        if (hint is not null)
        {
            writer.WriteString("hint", hint);
        }

        if (links is not null)
        {
            writer.WriteString("docs_url", links.For(error));
        }

        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
