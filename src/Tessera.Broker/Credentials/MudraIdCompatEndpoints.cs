using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The MudraID agent SDK 1.x control plane, as a thin layer over the credential exchange:
/// <c>POST /api/v1/auth/agents/me/platforms</c> (discovery) and <c>POST /api/v1/auth/token</c>
/// (mint). Credentials travel in the JSON body (<c>api_key_id</c>, <c>secret</c>). Answers
/// the way that SDK reads them: 401 for bad credentials, 403 with <c>detail</c> and
/// <c>error_code</c> for any authorization refusal, 429 with an integer <c>Retry-After</c> and
/// <c>error_code</c> <c>RATE_LIMITED</c>; always JSON, never a redirect.
/// </summary>
internal static class MudraIdCompatEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // The MudraID SDK sends its key id and secret in the JSON body; they are checked in the
        // endpoint, after the per-address limiter, and refused in the SDK's own error shape.
        var compat = app.MapGroup("/api/v1/auth").AllowAnonymous();
        compat.MapPost("/agents/me/platforms", PlatformsAsync);
        compat.MapPost("/token", TokenAsync);
    }

    private static async Task PlatformsAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context, "platforms_me") is not { } agent)
        {
            return;
        }

        var store = context.RequestServices.GetRequiredService<IPlatformStore>();
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("agent_id", agent.EntityId);
        writer.WriteStartArray("platforms");
        foreach (var grant in await store.ListGrantsAsync(agent.EntityId, context.RequestAborted))
        {
            if (await store.FindAsync(grant.PlatformId, context.RequestAborted) is not { } platform)
            {
                continue;
            }

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
        await writer.FlushAsync(context.RequestAborted);
    }

    private static async Task TokenAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context, "token") is not { } agent)
        {
            return;
        }

        var request = context.Items[typeof(CompatRequest)] as CompatRequest;
        if (string.IsNullOrEmpty(request?.PlatformId))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "platform_id is required");
            return;
        }

        if (request.Scopes is { } requested && requested.Any(s => s is null))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "scopes must be a list of strings");
            return;
        }

        // An empty list is the agent's full grant on the platform, as the SDK expects.
        string? scope = request.Scopes is { Length: > 0 } list ? string.Join(' ', list) : null;
        var result = await context.RequestServices.GetRequiredService<CredentialExchange>().ExchangeAsync(agent, request.PlatformId, scope, "mudraid_legacy", context.RequestAborted);
        if (result.Error is { } error)
        {
            await WriteRefusalAsync(context, error, result.Detail, result.RetryAfterSeconds);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("access_token", result.Token);
        writer.WriteNumber("expires_in", result.ExpiresIn);
        writer.WriteString("token_type", "Bearer");
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>Rate limits, body, credentials and status; null when the refusal was already written.</summary>
    private static async Task<Tessera.Storage.Clients.ClientRecord?> AuthenticateAsync(HttpContext context, string endpoint)
    {
        var sp = context.RequestServices;
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, endpoint) is { } limited)
        {
            await WriteRefusalAsync(context, limited.Error, "rate limit exceeded, try again later", limited.RetryAfterSeconds);
            return null;
        }

        var options = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.CompatRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await WriteErrorAsync(context, bad.Error.Status, bad.Error.Code, bad.Detail);
            return null;
        }

        var request = body.Value!;
        context.Items[typeof(CompatRequest)] = request;
        var auth = await sp.GetRequiredService<ClientAuthenticator>().AuthenticateAsync(
            new PresentedCredentials(request.ApiKeyId, request.Secret, null, ClientAuthenticator.Post), CredentialExchange.AgentKind, context.RequestAborted);
        var refusal = auth.Client is { } client ? CredentialExchange.CheckStatus(client) : ExchangeResult.Fail(auth.Error!, auth.Detail);
        if (refusal is null)
        {
            return auth.Client;
        }

        var time = sp.GetRequiredService<TimeProvider>();
        await sp.GetRequiredService<AuditLog>().RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, "denied", $"mudraid sdk request refused | endpoint={endpoint} | code={refusal.Error!.Code} | {refusal.Detail}", auth.Client?.EntityId),
            cancellationToken: context.RequestAborted);
        await WriteRefusalAsync(context, refusal.Error!, refusal.Detail, 0);
        return null;
    }

    /// <summary>Maps a Tessera refusal onto what the MudraID SDK distinguishes: 401, 403, 429.</summary>
    private static Task WriteRefusalAsync(HttpContext context, ErrorDescriptor error, string detail, int retryAfter)
    {
        if (error.Status == 429)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, retryAfter).ToString(CultureInfo.InvariantCulture);
            return WriteErrorAsync(context, 429, "RATE_LIMITED", detail, error.Code);
        }

        if (error.Status == 401)
        {
            return WriteErrorAsync(context, 401, error.Code, detail);
        }

        if (error.Status >= 500)
        {
            return WriteErrorAsync(context, error.Status, error.Code, detail);
        }

        // Suspended, revoked, no grant, a scope outside the grant, an unknown platform: authorization refusals.
        return WriteErrorAsync(context, StatusCodes.Status403Forbidden, error.Code, detail);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string detail, string? tesseraCode = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("detail", detail);
        writer.WriteString("message", detail);
        writer.WriteString("error_code", code);
        if (tesseraCode is not null)
        {
            writer.WriteString("tessera_error_code", tesseraCode);
        }

        writer.WriteString("request_id", RequestIdMiddleware.Get(context));
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}

internal sealed class CompatRequest
{
    public string? ApiKeyId { get; set; }

    public string? Secret { get; set; }

    public string? PlatformId { get; set; }

    public string?[]? Scopes { get; set; }
}
