using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The MudraID agent SDK 1.x control plane, as a thin layer over the credential exchange:
/// <c>POST /api/v1/auth/agents/me/platforms</c> (discovery) and <c>POST /api/v1/auth/token</c>
/// (mint). Credentials travel in the JSON body (<c>api_key_id</c>, <c>secret</c>). Answers
/// the way that SDK reads them (<see cref="MudraIdErrorResult"/>): 401 for bad credentials, 403 with
/// <c>detail</c> and <c>error_code</c> for any authorization refusal, 429 with an integer
/// <c>Retry-After</c> and <c>error_code</c> <c>RATE_LIMITED</c>; always JSON, never a redirect.
/// </summary>
internal static class MudraIdCompatEndpoints
{
    private const string Tag = "MudraID compatibility";

    public static void Map(IEndpointRouteBuilder app)
    {
        // The MudraID SDK sends its key id and secret in the JSON body; they are checked in the
        // endpoint, after the per-address limiter, and refused in the SDK's own error shape.
        var compat = app.MapGroup("/api/v1/auth").AllowAnonymous().WithTags(Tag);
        compat.MapPost("/agents/me/platforms", PlatformsAsync)
            .WithName("mudraidPlatforms")
            .WithSummary("Platform discovery for the MudraID agent SDK 1.x")
            .WithDescription("The MudraID SDK's discovery call, over the same grants as POST /v1/platforms/me: one entry per granted platform and host name. Credentials in the JSON body (api_key_id, secret). Refusals in the SDK's error shape: 401 for failed authentication, 403 for a suspended or revoked agent, 429 RATE_LIMITED with Retry-After. Shares the rate limits of POST /v1/platforms/me. Refusals are audited as token_exchange_failed.")
            .DocumentsRequestBody<CompatRequest, RouteHandlerBuilder>(required: true, "application/json");
        compat.MapPost("/token", TokenAsync)
            .WithName("mudraidToken")
            .WithSummary("Token exchange for the MudraID agent SDK 1.x")
            .WithDescription("The MudraID SDK's token call, over the same exchange as POST /v1/token: platform_id is the resource, scopes the requested scopes (empty or absent: the whole grant). Credentials in the JSON body. Refusals in the SDK's error shape: 400 invalid_request, 401 for failed authentication, 403 for every authorization refusal (error_code the Tessera code), 429 RATE_LIMITED with Retry-After. Shares the rate limits of POST /v1/token. Audited as token_exchanged (method=mudraid_legacy) or token_exchange_failed.")
            .DocumentsRequestBody<CompatRequest, RouteHandlerBuilder>(required: true, "application/json");
    }

    private static async Task<Results<MudraIdPlatformsResult, MudraIdErrorResult>> PlatformsAsync(
        HttpContext context, IOptions<BrokerOptions> options, ClientAuthenticator authenticator, IPlatformStore store, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (agent, _, refused) = await AuthenticateAsync(context, "platforms_me", options.Value, authenticator, audit, time, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var granted = new List<(PlatformRecord, GrantRecord)>();
        foreach (var grant in await store.ListGrantsAsync(agent!.EntityId, cancellationToken))
        {
            if (await store.FindAsync(grant.PlatformId, cancellationToken) is { } platform)
            {
                granted.Add((platform, grant));
            }
        }

        return new MudraIdPlatformsResult(agent.EntityId, granted);
    }

    private static async Task<Results<MudraIdTokenResult, MudraIdErrorResult>> TokenAsync(
        HttpContext context, IOptions<BrokerOptions> options, ClientAuthenticator authenticator, CredentialExchange exchange, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (agent, request, refused) = await AuthenticateAsync(context, "token", options.Value, authenticator, audit, time, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        if (MudraIdCompatValidation.Token(request, out string? scope) is { } failure)
        {
            return MudraIdErrorResult.From(failure);
        }

        var result = await exchange.ExchangeAsync(agent!, request!.PlatformId, scope, "mudraid_legacy", cancellationToken);
        if (result.Error is { } error)
        {
            return MudraIdErrorResult.Refusal(error, result.Detail, result.RetryAfterSeconds);
        }

        return new MudraIdTokenResult(result.Token!, result.ExpiresIn);
    }

    /// <summary>Rate limits, body, credentials and status, in that order: the agent and its request, or the refusal.</summary>
    private static async Task<(ClientRecord? Agent, CompatRequest? Request, MudraIdErrorResult? Refusal)> AuthenticateAsync(
        HttpContext context, string endpoint, BrokerOptions options, ClientAuthenticator authenticator, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await TokenExchangeEndpoints.LimitRequestAsync(context, endpoint) is { } limited)
        {
            return (null, null, MudraIdErrorResult.Refusal(limited.Error, "rate limit exceeded, try again later", limited.RetryAfterSeconds));
        }

        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.CompatRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            return (null, null, MudraIdErrorResult.From(bad));
        }

        var request = body.Value!;
        var auth = await authenticator.AuthenticateAsync(
            new PresentedCredentials(request.ApiKeyId, request.Secret, null, ClientAuthenticator.Post), CredentialExchange.AgentKind, cancellationToken);
        var refusal = auth.Client is { } client ? CredentialExchange.CheckStatus(client) : ExchangeResult.Fail(auth.Error!, auth.Detail);
        if (refusal is null)
        {
            return (auth.Client, request, null);
        }

        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, AuditOutcomes.Denied, $"mudraid sdk request refused | endpoint={endpoint} | code={refusal.Error!.Code} | {refusal.Detail}", auth.Client?.EntityId),
            cancellationToken: cancellationToken);
        return (null, null, MudraIdErrorResult.Refusal(refusal.Error!, refusal.Detail, 0));
    }
}

internal sealed class CompatRequest
{
    public string? ApiKeyId { get; set; }

    public string? Secret { get; set; }

    public string? PlatformId { get; set; }

    public string?[]? Scopes { get; set; }
}
