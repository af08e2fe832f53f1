using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// <c>POST /v1/token</c> (OAuth 2.0 client credentials, RFC 6749 4.4, with RFC 8707 <c>resource</c>
/// and RFC 7523 client assertions) and <c>POST /v1/platforms/me</c> (an agent's platforms, so an SDK
/// can route by host). The handlers take the limits and read the request; the checks are
/// <see cref="TokenExchangeValidation"/>'s, the work <see cref="TokenExchangeService"/>'s.
/// </summary>
internal static class TokenExchangeEndpoints
{
    private const string Tag = "Credentials";

    public static void Map(IEndpointRouteBuilder app)
    {
        // RFC 6749 section 2.3: the token endpoint authenticates the client itself (HTTP Basic, the
        // form's client_id and client_secret, or a client assertion), after the per-address limiter,
        // and answers with OAuth errors; so does its companion listing the agent's platforms.
        app.MapPost("/v1/token", TokenAsync).AllowAnonymous()
            .WithName("tokenExchange")
            .WithSummary("Exchange agent credentials for a platform token (OAuth 2.0 client credentials)")
            .WithDescription("grant_type=client_credentials with exactly one client authentication: HTTP Basic (key_id:secret), client_id and client_secret in the body, or a private_key_jwt client assertion (RFC 7523). resource (RFC 8707) names the platform by id or by a URL whose host it serves; it may be left out when the agent holds one grant. scope narrows the grant; none asks for all of it. The token's audience is that platform alone. Parameters come as a form or a JSON object of strings, each at most once. Errors are OAuth errors (RFC 6749 5.2) with Tessera's error_code; rate limited per address, per agent and per platform. Audited: token_exchanged, token_exchange_failed.")
            .WithTags(Tag)
            .DocumentsRequestBody<TokenRequestDocument, RouteHandlerBuilder>(required: true, "application/x-www-form-urlencoded", "application/json");
        app.MapPost("/v1/platforms/me", MyPlatformsAsync).AllowAnonymous()
            .WithName("myPlatforms")
            .WithSummary("The platforms the agent may call")
            .WithDescription("The agent authenticates with HTTP Basic (key_id:secret) or a JSON body {key_id, secret} (client_id and client_secret also accepted), and gets each platform it holds a grant on: id, name, hostnames, granted scopes and token profile, so an SDK can route by host. A suspended or revoked agent is refused. Rate limited per address. Audited on refusal: token_exchange_failed.")
            .WithTags(Tag)
            .DocumentsRequestBody<CredentialsRequest, RouteHandlerBuilder>(required: false, "application/json")
            .ProducesErrors(ErrorCatalog.InvalidClient, ErrorCatalog.SecretExpired, ErrorCatalog.AgentSuspended, ErrorCatalog.AgentRevoked, ErrorCatalog.RateLimitedAddress, ErrorCatalog.RateLimitedEndpoint,
                ErrorCatalog.InvalidRequest, ErrorCatalog.PayloadTooLarge, ErrorCatalog.UnsupportedMediaType);
    }

    private static async Task<Results<OAuthTokenResult, OAuthErrorResult>> TokenAsync(
        HttpContext context, IOptions<BrokerOptions> options, ClientAuthenticator authenticator, CredentialExchange exchange, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await LimitRequestAsync(context, "token") is { } limited)
        {
            return new OAuthErrorResult(limited.Error, "rate limit exceeded, try again later", limited.RetryAfterSeconds);
        }

        var (parameters, formFailure) = await TokenExchangeValidation.ReadParametersAsync(context, options.Value.MaxBodyBytes);
        if (formFailure is not null)
        {
            return OAuthErrorResult.From(formFailure);
        }

        if (TokenExchangeValidation.GrantType(parameters!) is { } grantFailure)
        {
            return OAuthErrorResult.From(grantFailure);
        }

        if (TokenExchangeValidation.Credentials(context.Request.Headers.Authorization, parameters!, out var credentials) is { } credentialFailure)
        {
            return OAuthErrorResult.From(credentialFailure);
        }

        return await TokenExchangeService.ExchangeAsync(authenticator, exchange, audit, time, credentials!, parameters!, cancellationToken);
    }

    private static async Task<Results<Ok<MyPlatformsResponse>, ProblemResult>> MyPlatformsAsync(
        HttpContext context, IOptions<BrokerOptions> options, ClientAuthenticator authenticator, IPlatformStore platforms, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await LimitRequestAsync(context, "platforms_me") is { } limited)
        {
            context.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return new ProblemResult(limited.Error, "rate limit exceeded, try again later", $"wait {limited.RetryAfterSeconds} second(s) before retrying");
        }

        // HTTP Basic when an Authorization header is sent (the body is then not read), else the JSON body.
        PresentedCredentials credentials;
        if (context.Request.Headers.Authorization.Count > 0)
        {
            _ = ClientAuthenticator.TryParseBasic(context.Request.Headers.Authorization, out string? id, out string? secret);
            credentials = new PresentedCredentials(id, secret, null, ClientAuthenticator.Basic);
        }
        else
        {
            var body = await JsonBody.ReadAsync(context, BrokerJson.Default.CredentialsRequest, options.Value.MaxBodyBytes);
            if (body.Failure is { } bad)
            {
                return bad.ToResult();
            }

            var request = body.Value!;
            credentials = new PresentedCredentials(request.KeyId ?? request.ClientId, request.Secret ?? request.ClientSecret, null, ClientAuthenticator.Post);
        }

        var (mine, refused) = await TokenExchangeService.MyPlatformsAsync(authenticator, platforms, audit, time, credentials, cancellationToken);
        if (refused is not null)
        {
            return refused.ToResult();
        }

        OAuthHeaders.NoStore(context.Response);
        return TypedResults.Ok(mine!);
    }

    /// <summary>The per-address and per-endpoint limits, taken before any credential is looked at.</summary>
    internal static async Task<Limited?> LimitRequestAsync(HttpContext context, string endpoint)
    {
        var sp = context.RequestServices;
        string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var limiter = sp.GetRequiredService<ExchangeLimiter>();
        var limited = limiter.CheckRequest(address, endpoint);
        var time = sp.GetRequiredService<TimeProvider>();
        if (limited is not null && sp.GetRequiredService<AuditThrottle>().TryAcquire($"{AuditEventTypes.RateLimited} {limited.Error.Code} {address}", out long suppressed))
        {
            await sp.GetRequiredService<AuditLog>().RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.RateLimited, AuditOutcomes.Denied, $"rate limited | code={limited.Error.Code} | endpoint={endpoint} | address={address}{AuditThrottle.Suffix(suppressed)}"),
                cancellationToken: context.RequestAborted);
        }

        return limited;
    }
}

internal sealed class CredentialsRequest
{
    public string? KeyId { get; set; }

    public string? Secret { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}

internal sealed record MyPlatform(string PlatformId, string Name, string[] Hostnames, string[] Scopes, string TokenProfile);

internal sealed record MyPlatformsResponse(string AgentId, MyPlatform[] Platforms);
