using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Credentials;

/// <summary>
/// An OAuth error of the token endpoint (RFC 6749 section 5.2): <c>{"error", "error_description"}</c>
/// plus Tessera's <c>error_code</c>, <c>request_id</c> and <c>docs_url</c>, as <c>application/json</c>
/// with <c>Cache-Control: no-store</c> and <c>Pragma: no-cache</c>. The status is 400, except
/// <c>invalid_client</c> (401) and 429 or 5xx, which keep theirs; <c>Retry-After</c> when the refusal
/// gives one, <c>WWW-Authenticate</c> when the client authenticated with HTTP Basic and failed.
/// </summary>
internal sealed class OAuthErrorResult(ErrorDescriptor error, string detail, int retryAfterSeconds = 0, string? wwwAuthenticate = null)
    : IResult, IEndpointMetadataProvider
{
    /// <summary>The challenge sent with a failed HTTP Basic client authentication.</summary>
    public const string BasicChallenge = "Basic realm=\"tessera\"";

    /// <summary>The refusal's catalog code.</summary>
    public ErrorDescriptor Error => error;

    /// <summary>The <c>error_description</c>.</summary>
    public string Detail => detail;

    /// <summary>The OAuth error of <paramref name="failure"/>.</summary>
    public static OAuthErrorResult From(Failure failure) => new(failure.Error, failure.Detail);

    /// <summary>The RFC 6749 / RFC 8707 error for a catalog code.</summary>
    public static string OAuthError(ErrorDescriptor error) => error.Code switch
    {
        "invalid_client" or "secret_expired" => "invalid_client",
        "unsupported_grant_type" => "unsupported_grant_type",
        "invalid_target" or "platform_not_granted" => "invalid_target",
        "scope_not_granted" or "invalid_scope_format" => "invalid_scope",
        "agent_suspended" or "agent_revoked" => "unauthorized_client",
        _ when error.Status == 429 || error.Status >= 500 => "temporarily_unavailable",
        _ => "invalid_request",
    };

    /// <summary>The HTTP status of <paramref name="error"/> at the token endpoint.</summary>
    public static int StatusOf(ErrorDescriptor error) =>
        error.Status is 401 or 429 or >= 500 ? error.Status : StatusCodes.Status400BadRequest;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        if (wwwAuthenticate is not null)
        {
            response.Headers.WWWAuthenticate = wwwAuthenticate;
        }

        // RFC 6749 5.2: token-endpoint errors are 400, except invalid_client (401); 429 and 5xx keep their meaning.
        response.StatusCode = StatusOf(error);
        response.ContentType = "application/json";
        OAuthHeaders.NoStore(response);
        if (retryAfterSeconds > 0)
        {
            response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("error", OAuthError(error));
        writer.WriteString("error_description", detail);
        writer.WriteString("error_code", error.Code);
        writer.WriteString("request_id", RequestIdMiddleware.Get(httpContext));
        if (httpContext.RequestServices.GetService(typeof(DocsLinks)) is DocsLinks links)
        {
            writer.WriteString("docs_url", links.For(error));
        }

        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Declares the OAuth error document for every status it can carry.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (int status in (int[])[StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable])
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(OAuthErrorDocument), ["application/json"]));
        }
    }
}

/// <summary>
/// A token of the token endpoint (RFC 6749 section 5.1): <c>access_token</c>, <c>token_type</c>
/// <c>Bearer</c>, <c>expires_in</c> and <c>scope</c>, as <c>application/json</c> with
/// <c>Cache-Control: no-store</c> and <c>Pragma: no-cache</c>.
/// </summary>
internal sealed class OAuthTokenResult(string token, int expiresIn, IReadOnlyList<string> scope) : IResult, IEndpointMetadataProvider
{
    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        OAuthHeaders.NoStore(response);
        await using var writer = new Utf8JsonWriter(response.Body);
        response.ContentType = "application/json";
        writer.WriteStartObject();
        writer.WriteString("access_token", token);
        writer.WriteString("token_type", "Bearer");
        writer.WriteNumber("expires_in", expiresIn);
        writer.WriteString("scope", string.Join(' ', scope));
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>Declares the token response.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(OAuthTokenDocument), ["application/json"]));
    }
}

/// <summary>The caching headers of every token-endpoint answer (RFC 6749 section 5.1).</summary>
internal static class OAuthHeaders
{
    /// <summary><c>Cache-Control: no-store</c> and <c>Pragma: no-cache</c>.</summary>
    public static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}

/// <summary>The OAuth error document, as <see cref="OAuthErrorResult"/> writes it (for the OpenAPI document).</summary>
/// <param name="Error">The RFC 6749 error: <c>invalid_request</c>, <c>invalid_client</c>, <c>unsupported_grant_type</c>, <c>invalid_target</c>, <c>invalid_scope</c>, <c>unauthorized_client</c> or <c>temporarily_unavailable</c>.</param>
/// <param name="ErrorDescription">What was wrong with this request.</param>
/// <param name="ErrorCode">Tessera's error code (see <c>docs/errors.md</c>).</param>
/// <param name="RequestId">The request id, also in the <c>X-Request-Id</c> response header.</param>
/// <param name="DocsUrl">Where the code is documented.</param>
internal sealed record OAuthErrorDocument(string Error, string ErrorDescription, string ErrorCode, string RequestId, string? DocsUrl);

/// <summary>The token response, as <see cref="OAuthTokenResult"/> writes it (for the OpenAPI document).</summary>
/// <param name="AccessToken">The platform-bound access token (a JWT).</param>
/// <param name="TokenType">Always <c>Bearer</c>.</param>
/// <param name="ExpiresIn">Seconds until the token expires.</param>
/// <param name="Scope">The token's scopes, space-separated.</param>
internal sealed record OAuthTokenDocument(string AccessToken, string TokenType, int ExpiresIn, string Scope);

/// <summary>
/// The parameters of <c>POST /v1/token</c>, as a form (<c>application/x-www-form-urlencoded</c>) or a JSON
/// object of strings (for the OpenAPI document; the endpoint reads them itself).
/// </summary>
/// <param name="GrantType">Always <c>client_credentials</c>.</param>
/// <param name="Resource">The platform: its id, or a URL whose host it serves (RFC 8707); optional when the agent has one grant.</param>
/// <param name="Scope">Space-separated scopes within the grant; none asks for the whole grant.</param>
/// <param name="ClientId">The key id (with <c>client_secret</c>, or to match HTTP Basic or the assertion).</param>
/// <param name="ClientSecret">The secret (<c>client_secret_post</c>).</param>
/// <param name="ClientAssertionType"><c>urn:ietf:params:oauth:client-assertion-type:jwt-bearer</c> (<c>private_key_jwt</c>).</param>
/// <param name="ClientAssertion">The signed client assertion (<c>private_key_jwt</c>).</param>
internal sealed record TokenRequestDocument(
    string GrantType, string? Resource, string? Scope, string? ClientId, string? ClientSecret, string? ClientAssertionType, string? ClientAssertion);
