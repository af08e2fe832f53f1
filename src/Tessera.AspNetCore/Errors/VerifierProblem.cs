using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore.Errors;

/// <summary>Writes a verifier refusal: problem+json with <c>error_code</c> and <c>message</c>, and an RFC 6750 challenge.</summary>
public static class VerifierProblem
{
    /// <summary>Writes <paramref name="error"/> to the response.</summary>
    public static async Task WriteAsync(HttpContext context, VerifierError error, string? detail = null, string? requiredScope = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.Status;
        response.ContentType = "application/problem+json";
        if (error.Status is 401 or 403)
        {
            string challenge = "Bearer realm=\"tessera\"";
            if (error.BearerError is { } bearer)
            {
                challenge += $", error=\"{bearer}\", error_description=\"{error.Message}\"";
            }

            if (requiredScope is not null)
            {
                challenge += $", scope=\"{requiredScope}\"";
            }

            response.Headers.WWWAuthenticate = challenge;
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", "urn:tessera:verifier:" + error.Code.ToLowerInvariant().Replace('_', '-'));
        writer.WriteString("title", error.Message);
        writer.WriteNumber("status", error.Status);
        writer.WriteString("detail", detail ?? error.Message);
        writer.WriteString("instance", context.Request.Path.Value ?? "/");
        writer.WriteString("error_code", error.Code);
        writer.WriteString("message", detail ?? error.Message);
        writer.WriteString("request_id", context.TraceIdentifier);
        if (requiredScope is not null)
        {
            writer.WriteString("required_scope", requiredScope);
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
