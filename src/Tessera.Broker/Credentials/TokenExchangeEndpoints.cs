using System.Buffers;
using System.Globalization;
using System.Text;
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
/// <c>POST /v1/token</c> (OAuth 2.0 client credentials, RFC 6749 4.4, with RFC 8707 <c>resource</c>
/// and RFC 7523 client assertions) and <c>POST /v1/platforms/me</c> (an agent's platforms, so an SDK
/// can route by host).
/// </summary>
internal static class TokenExchangeEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // RFC 6749 section 2.3: the token endpoint authenticates the client itself (HTTP Basic, the
        // form's client_id and client_secret, or a client assertion), after the per-address limiter,
        // and answers with OAuth errors; so does its companion listing the agent's platforms.
        app.MapPost("/v1/token", TokenAsync).AllowAnonymous();
        app.MapPost("/v1/platforms/me", MyPlatformsAsync).AllowAnonymous();
    }

    private static async Task TokenAsync(HttpContext context)
    {
        var sp = context.RequestServices;
        var options = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        var audit = sp.GetRequiredService<AuditLog>();
        if (await LimitRequestAsync(context, "token") is { } limited)
        {
            await WriteOAuthErrorAsync(context, limited.Error, "rate limit exceeded, try again later", limited.RetryAfterSeconds);
            return;
        }

        var (form, formFailure) = await ReadParametersAsync(context, options.MaxBodyBytes);
        if (formFailure is not null)
        {
            await WriteOAuthErrorAsync(context, formFailure.Error, formFailure.Detail);
            return;
        }

        var parameters = form!;
        string? grantType = parameters.GetValueOrDefault("grant_type");
        if (string.IsNullOrEmpty(grantType))
        {
            await WriteOAuthErrorAsync(context, ErrorCatalog.InvalidRequest, "grant_type is required");
            return;
        }

        if (grantType != "client_credentials")
        {
            await WriteOAuthErrorAsync(context, ErrorCatalog.UnsupportedGrantType, "only grant_type=client_credentials is supported");
            return;
        }

        var (credentials, credentialFailure) = ReadCredentials(context, parameters);
        if (credentialFailure is not null)
        {
            await WriteOAuthErrorAsync(context, credentialFailure.Error, credentialFailure.Detail);
            return;
        }

        var auth = await sp.GetRequiredService<ClientAuthenticator>().AuthenticateAsync(credentials!, CredentialExchange.AgentKind, context.RequestAborted);
        if (auth.Client is not { } agent)
        {
            await audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, "denied", $"token exchange refused | code={auth.Error!.Code} | {auth.Detail} | key_id={PresentedKeyId(credentials!.ClientId)} | method={credentials.Method}"),
                cancellationToken: context.RequestAborted);
            if (credentials!.Method == ClientAuthenticator.Basic)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"tessera\"";
            }

            await WriteOAuthErrorAsync(context, auth.Error!, auth.Detail);
            return;
        }

        var result = await sp.GetRequiredService<CredentialExchange>().ExchangeAsync(agent, parameters.GetValueOrDefault("resource"), parameters.GetValueOrDefault("scope"), credentials!.Method, context.RequestAborted);
        if (result.Error is { } error)
        {
            await WriteOAuthErrorAsync(context, error, result.Detail, result.RetryAfterSeconds);
            return;
        }

        NoStore(context);
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        context.Response.ContentType = "application/json";
        writer.WriteStartObject();
        writer.WriteString("access_token", result.Token);
        writer.WriteString("token_type", "Bearer");
        writer.WriteNumber("expires_in", result.ExpiresIn);
        writer.WriteString("scope", string.Join(' ', result.Claims!.Scope));
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static async Task MyPlatformsAsync(HttpContext context)
    {
        var sp = context.RequestServices;
        var options = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        if (await LimitRequestAsync(context, "platforms_me") is { } limited)
        {
            context.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await new ProblemResult(limited.Error, "rate limit exceeded, try again later", $"wait {limited.RetryAfterSeconds} second(s) before retrying").ExecuteAsync(context);
            return;
        }

        PresentedCredentials credentials;
        if (context.Request.Headers.Authorization.Count > 0)
        {
            _ = ClientAuthenticator.TryParseBasic(context.Request.Headers.Authorization, out string? id, out string? secret);
            credentials = new PresentedCredentials(id, secret, null, ClientAuthenticator.Basic);
        }
        else
        {
            var body = await JsonBody.ReadAsync(context, BrokerJson.Default.CredentialsRequest, options.MaxBodyBytes);
            if (body.Failure is { } bad)
            {
                await ProblemResult.From(bad).ExecuteAsync(context);
                return;
            }

            var request = body.Value!;
            credentials = new PresentedCredentials(request.KeyId ?? request.ClientId, request.Secret ?? request.ClientSecret, null, ClientAuthenticator.Post);
        }

        var auth = await sp.GetRequiredService<ClientAuthenticator>().AuthenticateAsync(credentials, CredentialExchange.AgentKind, context.RequestAborted);
        var refusal = auth.Client is { } client ? CredentialExchange.CheckStatus(client) : ExchangeResult.Fail(auth.Error!, auth.Detail);
        if (refusal is not null)
        {
            await sp.GetRequiredService<AuditLog>().RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, "denied", $"platform discovery refused | code={refusal.Error!.Code} | {refusal.Detail} | key_id={PresentedKeyId(credentials.ClientId)}", auth.Client?.EntityId),
                cancellationToken: context.RequestAborted);
            await new ProblemResult(refusal.Error!, refusal.Detail).ExecuteAsync(context);
            return;
        }

        var agent = auth.Client!;
        var store = sp.GetRequiredService<IPlatformStore>();
        var entries = new List<MyPlatform>();
        foreach (var grant in await store.ListGrantsAsync(agent.EntityId, context.RequestAborted))
        {
            if (await store.FindAsync(grant.PlatformId, context.RequestAborted) is { } p)
            {
                entries.Add(new MyPlatform(p.PlatformId, p.Name, [.. p.Hostnames], [.. grant.Scopes], p.TokenProfile));
            }
        }

        NoStore(context);
        await Results.Json(new MyPlatformsResponse(agent.EntityId, [.. entries]), BrokerJson.Default.MyPlatformsResponse).ExecuteAsync(context);
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
                AuditDraft.Of(time, AuditEventTypes.RateLimited, "denied", $"rate limited | code={limited.Error.Code} | endpoint={endpoint} | address={address}{AuditThrottle.Suffix(suppressed)}"),
                cancellationToken: context.RequestAborted);
        }

        return limited;
    }

    /// <summary>Form (<c>application/x-www-form-urlencoded</c>) or JSON object of strings; a repeated parameter is refused (RFC 6749 3.2).</summary>
    private static async Task<(Dictionary<string, string>? Form, Failure? Failure)> ReadParametersAsync(HttpContext context, int maxBytes)
    {
        string? contentType = context.Request.ContentType;
        bool json = contentType is not null && JsonBody.IsJson(contentType);
        bool form = contentType is not null && contentType.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (!json && !form)
        {
            return (null, new Failure(ErrorCatalog.UnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json"));
        }

        var raw = await JsonBody.ReadBoundedAsync(context, maxBytes);
        if (raw.Failure is { } tooLarge)
        {
            return (null, tooLarge);
        }

        try
        {
            var span = raw.Buffer.AsSpan(0, raw.Length);
            return json ? ParseJson(span) : ParseForm(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw.Buffer!, clearArray: true);
        }
    }

    private static (Dictionary<string, string>?, Failure?) ParseForm(ReadOnlySpan<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "the form body is not valid UTF-8"));
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string? name = ClientAuthenticator.FormDecode(eq < 0 ? pair : pair[..eq]);
            string? value = ClientAuthenticator.FormDecode(eq < 0 ? "" : pair[(eq + 1)..]);
            if (name is null || value is null)
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, "the form body is malformed"));
            }

            if (!values.TryAdd(name, value))
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, $"parameter '{Printable(name)}' is repeated"));
            }
        }

        return (values, null);
    }

    private static (Dictionary<string, string>?, Failure?) ParseJson(ReadOnlySpan<byte> body)
    {
        if (!JsonBody.HasValidText(body))
        {
            return (null, JsonBody.InvalidText);
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"));
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    return (null, new Failure(ErrorCatalog.InvalidRequest, $"malformed JSON body: field '{Printable(property.Name)}' must be a string"));
                }

                if (!values.TryAdd(property.Name, property.Value.GetString()!))
                {
                    return (null, new Failure(ErrorCatalog.InvalidRequest, $"parameter '{Printable(property.Name)}' is repeated"));
                }
            }

            return (values, null);
        }
        catch (JsonException)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"));
        }
    }

    /// <summary>Exactly one client authentication method (RFC 6749 2.3).</summary>
    private static (PresentedCredentials?, Failure?) ReadCredentials(HttpContext context, Dictionary<string, string> form)
    {
        string? header = context.Request.Headers.Authorization;
        bool basic = !string.IsNullOrEmpty(header);
        bool post = form.ContainsKey("client_secret");
        bool jwt = form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type");
        if ((basic ? 1 : 0) + (post ? 1 : 0) + (jwt ? 1 : 0) > 1)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "use exactly one client authentication method"));
        }

        if (basic)
        {
            if (!ClientAuthenticator.TryParseBasic(header, out string? id, out string? secret))
            {
                return (null, new Failure(ErrorCatalog.InvalidClient, "malformed HTTP Basic credentials"));
            }

            if (form.TryGetValue("client_id", out string? bodyId) && bodyId != id)
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, "client_id in the body differs from the Basic credentials"));
            }

            return (new PresentedCredentials(id, secret, null, ClientAuthenticator.Basic), null);
        }

        if (jwt)
        {
            if (form.GetValueOrDefault("client_assertion_type") != ClientAssertionValidator.AssertionType || !form.TryGetValue("client_assertion", out string? assertion))
            {
                return (null, new Failure(ErrorCatalog.InvalidClient, $"client_assertion_type must be {ClientAssertionValidator.AssertionType} with a client_assertion"));
            }

            return (new PresentedCredentials(form.GetValueOrDefault("client_id"), null, assertion, ClientAuthenticator.PrivateKeyJwt), null);
        }

        if (post)
        {
            return (new PresentedCredentials(form.GetValueOrDefault("client_id"), form["client_secret"], null, ClientAuthenticator.Post), null);
        }

        return (null, new Failure(ErrorCatalog.InvalidClient, "client authentication is required (HTTP Basic, client_secret, or a client assertion)"));
    }

    /// <summary>RFC 6749 5.2 error body plus Tessera's <c>error_code</c>, <c>request_id</c> and <c>docs_url</c>.</summary>
    internal static async Task WriteOAuthErrorAsync(HttpContext context, ErrorDescriptor error, string detail, int retryAfterSeconds = 0)
    {
        var response = context.Response;

        // RFC 6749 5.2: token-endpoint errors are 400, except invalid_client (401); 429 and 5xx keep their meaning.
        response.StatusCode = error.Status is 401 or 429 or >= 500 ? error.Status : StatusCodes.Status400BadRequest;
        response.ContentType = "application/json";
        NoStore(context);
        if (retryAfterSeconds > 0)
        {
            response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("error", OAuthError(error));
        writer.WriteString("error_description", detail);
        writer.WriteString("error_code", error.Code);
        writer.WriteString("request_id", RequestIdMiddleware.Get(context));
        if (context.RequestServices.GetService(typeof(DocsLinks)) is DocsLinks links)
        {
            writer.WriteString("docs_url", links.For(error));
        }

        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>The RFC 6749 / RFC 8707 error for a catalog code.</summary>
    internal static string OAuthError(ErrorDescriptor error) => error.Code switch
    {
        "invalid_client" or "secret_expired" => "invalid_client",
        "unsupported_grant_type" => "unsupported_grant_type",
        "invalid_target" or "platform_not_granted" => "invalid_target",
        "scope_not_granted" or "invalid_scope_format" => "invalid_scope",
        "agent_suspended" or "agent_revoked" => "unauthorized_client",
        _ when error.Status == 429 || error.Status >= 500 => "temporarily_unavailable",
        _ => "invalid_request",
    };

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
    }

    private static string Printable(string? value) =>
        value is null ? "" : new([.. value.Take(64).Select(c => c is >= ' ' and < (char)127 and not '|' ? c : '?')]);

    /// <summary>The presented key id as the audit chain may hold it (<see cref="AuditRedaction.ClientId"/>).</summary>
    private static string PresentedKeyId(string? value) => AuditRedaction.ClientId(value);
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
