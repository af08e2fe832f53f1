using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// A refusal in the MudraID SDK's error shape: <c>{"detail", "message", "error_code",
/// ["tessera_error_code"], "request_id"}</c>, <c>application/json</c>, <c>Cache-Control: no-store</c>,
/// and an integer <c>Retry-After</c> on 429.
/// </summary>
internal sealed class MudraIdErrorResult(int status, string code, string detail, string? tesseraCode = null, int? retryAfterSeconds = null)
    : IResult, IEndpointMetadataProvider
{
    /// <summary>The HTTP status.</summary>
    public int Status => status;

    /// <summary>The <c>error_code</c>.</summary>
    public string Code => code;

    /// <summary>A request that could not be read or checked, with its own status and code.</summary>
    public static MudraIdErrorResult From(Failure failure) => new(failure.Error.Status, failure.Error.Code, failure.Detail);

    /// <summary>Maps a Tessera refusal onto what the MudraID SDK distinguishes: 401, 403, 429 (and 5xx).</summary>
    public static MudraIdErrorResult Refusal(ErrorDescriptor error, string detail, int retryAfter)
    {
        if (error.Status == 429)
        {
            return new MudraIdErrorResult(429, "RATE_LIMITED", detail, error.Code, Math.Max(1, retryAfter));
        }

        if (error.Status == 401 || error.Status >= 500)
        {
            return new MudraIdErrorResult(error.Status, error.Code, detail);
        }

        // Suspended, revoked, no grant, a scope outside the grant, an unknown platform: authorization refusals.
        return new MudraIdErrorResult(StatusCodes.Status403Forbidden, error.Code, detail);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        if (retryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("detail", detail);
        writer.WriteString("message", detail);
        writer.WriteString("error_code", code);
        if (tesseraCode is not null)
        {
            writer.WriteString("tessera_error_code", tesseraCode);
        }

        writer.WriteString("request_id", RequestIdMiddleware.Get(httpContext));
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Declares the error document for every status the compatibility endpoints answer with.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (int status in (int[])[400, 401, 403, 413, 415, 429, 503])
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(MudraIdErrorDocument), ["application/json"]));
        }
    }
}

/// <summary>
/// The MudraID discovery answer: <c>agent_id</c> and one entry per granted platform and host name,
/// <c>application/json</c> with <c>Cache-Control: no-store</c>.
/// </summary>
internal sealed class MudraIdPlatformsResult(string agentId, List<(PlatformRecord Platform, GrantRecord Grant)> granted) : IResult, IEndpointMetadataProvider
{
    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.Headers.CacheControl = "no-store";
        httpContext.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(httpContext.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("agent_id", agentId);
        writer.WriteStartArray("platforms");
        foreach (var (platform, grant) in granted)
        {
            // One entry per (platform, hostname): the SDK routes by exact lower-case host.
            foreach (string host in platform.Hostnames)
            {
                writer.WriteStartObject();
                writer.WriteString("platform_id", platform.PlatformId);
                writer.WriteString("name", platform.Name);
                writer.WriteString("hostname", host);
                writer.WriteString("status", "active");
                writer.WriteString("verification_status", "verified");
                writer.WriteStartArray("granted_scopes");
                foreach (string scope in grant.Scopes)
                {
                    writer.WriteStringValue(scope);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Declares the discovery answer.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(MudraIdPlatformsDocument), ["application/json"]));
    }
}

/// <summary>The MudraID token answer: <c>access_token</c>, <c>expires_in</c>, <c>token_type</c>, with <c>Cache-Control: no-store</c>.</summary>
internal sealed class MudraIdTokenResult(string token, int expiresIn) : IResult, IEndpointMetadataProvider
{
    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.Headers.CacheControl = "no-store";
        httpContext.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(httpContext.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("access_token", token);
        writer.WriteNumber("expires_in", expiresIn);
        writer.WriteString("token_type", "Bearer");
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Declares the token answer.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(MudraIdTokenDocument), ["application/json"]));
    }
}

/// <summary>The MudraID SDK's error document (for the OpenAPI document).</summary>
/// <param name="Detail">What was wrong.</param>
/// <param name="Message">The same text.</param>
/// <param name="ErrorCode">The Tessera error code, or <c>RATE_LIMITED</c>.</param>
/// <param name="TesseraErrorCode">On 429, the Tessera rate-limit code.</param>
/// <param name="RequestId">The request id.</param>
internal sealed record MudraIdErrorDocument(string Detail, string Message, string ErrorCode, string? TesseraErrorCode, string RequestId);

/// <summary>One platform host of the MudraID discovery answer (for the OpenAPI document).</summary>
/// <param name="PlatformId">The platform.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Hostname">One of its host names.</param>
/// <param name="Status">Always <c>active</c>.</param>
/// <param name="VerificationStatus">Always <c>verified</c>.</param>
/// <param name="GrantedScopes">The agent's grant on the platform.</param>
internal sealed record MudraIdPlatformDocument(string PlatformId, string Name, string Hostname, string Status, string VerificationStatus, string[] GrantedScopes);

/// <summary>The MudraID discovery answer (for the OpenAPI document).</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="Platforms">One entry per granted platform and host name.</param>
internal sealed record MudraIdPlatformsDocument(string AgentId, MudraIdPlatformDocument[] Platforms);

/// <summary>The MudraID token answer (for the OpenAPI document).</summary>
/// <param name="AccessToken">The platform-bound token.</param>
/// <param name="ExpiresIn">Seconds until it expires.</param>
/// <param name="TokenType">Always <c>Bearer</c>.</param>
internal sealed record MudraIdTokenDocument(string AccessToken, int ExpiresIn, string TokenType);
