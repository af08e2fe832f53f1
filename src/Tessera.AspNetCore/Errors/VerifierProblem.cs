using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore.Errors;

/// <summary>
/// Writes a verifier refusal: an RFC 6750 challenge and a body in the chosen
/// <see cref="ErrorBodyFormat"/> (problem+json with <c>error_code</c> and <c>message</c> by default).
/// </summary>
public static class VerifierProblem
{
    /// <summary>Key, in <c>HttpContext.Items</c>, of the seconds (a string) a 503 answer tells the caller to wait; 5 when absent.</summary>
    public static readonly object RetryAfterKey = new();

    /// <summary>Writes <paramref name="error"/> to the response as problem+json.</summary>
    public static Task WriteAsync(HttpContext context, VerifierError error, string? detail = null, string? requiredScope = null) =>
        WriteAsync(context, error, ErrorBodyFormat.Problem, detail, requiredScope);

    /// <summary>Writes <paramref name="error"/> to the response with the body in <paramref name="format"/>.</summary>
    public static async Task WriteAsync(HttpContext context, VerifierError error, ErrorBodyFormat format, string? detail = null, string? requiredScope = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.Status;
        response.ContentType = format == ErrorBodyFormat.MudraId ? "application/json" : "application/problem+json";
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

        if (error.Status == 503)
        {
            response.Headers.RetryAfter = context.Items[RetryAfterKey] as string ?? "5";
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        if (format == ErrorBodyFormat.MudraId)
        {
            writer.WriteString("error_code", error.Code);
            writer.WriteString("message", MudraIdMessage(error, detail, requiredScope));
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted);
            return;
        }

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

    // The middleware's own wording where it has a fixed one; a file-load error stays in the log.
    private static string MudraIdMessage(VerifierError error, string? detail, string? requiredScope) => error.Code switch
    {
        "MISSING_TOKEN" => "Authorization header missing or not in 'Bearer <token>' form",
        "ROUTE_NOT_FOUND" => "no agent route at this path",
        "MISSING_SCOPE" when requiredScope is not null => $"required scope '{requiredScope}' not present in token",
        "JWKS_UNAVAILABLE" => "could not verify token signature",
        "MIDDLEWARE_NOT_READY" => "scope configuration is unavailable; check the server logs",
        _ => detail ?? error.Message,
    };
}
