using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Scopes;
using Tessera.Storage.Agents;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;

namespace Tessera.Broker.Registration;

/// <summary><c>GET /v1/challenge</c> and <c>POST /v1/register</c>.</summary>
internal static class RegistrationEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // An agent registers before it holds any credential: the launch token and the signed nonce in the body prove it.
        app.MapGet("/v1/challenge", ChallengeAsync).RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous();
        app.MapPost("/v1/register", RegisterAsync).RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous();
    }

    private static async Task ChallengeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        long expires = time.GetUtcNow().AddSeconds(options.NonceTtl).ToUnixTimeMilliseconds();
        await services.GetRequiredService<INonceStore>().CreateAsync(nonce, expires, context.RequestAborted);
        await Results.Json(new ChallengeResponse(nonce, options.NonceTtl), BrokerJson.Default.ChallengeResponse).ExecuteAsync(context);
    }

    private static async Task RegisterAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var audit = services.GetRequiredService<AuditLog>();

        var body = await JsonBody.ReadAsync(context, BrokerJson.Default.RegisterRequest, options.MaxBodyBytes);
        if (body.Failure is { } bad)
        {
            await ProblemResult.From(bad).ExecuteAsync(context);
            return;
        }

        var request = body.Value!;
        var outcome = await RegisterCoreAsync(request, services, options, time, context.RequestAborted);
        var metrics = services.GetRequiredService<Metrics.BrokerMetrics>();
        if (outcome.Failure is { } failure)
        {
            metrics.Registrations.WithLabels("failure").Inc();
            string type = failure.Error.Status == 403 || failure.Error == ErrorCatalog.InvalidTtl
                ? AuditEventTypes.RegistrationPolicyViolation
                : AuditEventTypes.RegistrationFailed;
            if (failure.Error != ErrorCatalog.InvalidRequest)
            {
                await audit.RecordAsync(
                    AuditDraft.Of(time, type, "denied", failure.Detail, null, Safe(request.TaskId), Safe(request.OrchId)),
                    cancellationToken: context.RequestAborted);
            }

            await ProblemResult.From(failure).ExecuteAsync(context);
            return;
        }

        var success = outcome.Success!;
        var appSuffix = success.AppId.Length > 0 ? AuditFragment.Of($" | app_id={success.AppId}") : AuditFragment.Empty;
        metrics.Registrations.WithLabels("success").Inc();
        metrics.ActiveAgents.Inc();
        metrics.TokenIssued(success.Scope);
        await audit.RecordAsync(
            AuditDraft.Of(time, AuditEventTypes.AgentRegistered, "success", $"agent registered | scope={string.Join(',', success.Scope)}{appSuffix}", success.AgentId, request.TaskId, request.OrchId),
            AuditDraft.Of(time, AuditEventTypes.TokenIssued, "success", $"token issued | jti={success.JwtId} | ttl={success.Ttl}{appSuffix}", success.AgentId, request.TaskId, request.OrchId),
            context.RequestAborted);
        await Results.Json(new RegisterResponse(success.AgentId, success.Token, success.Ttl, "Bearer"), BrokerJson.Default.RegisterResponse).ExecuteAsync(context);
    }

    private static async Task<RegisterOutcome> RegisterCoreAsync(
        RegisterRequest request, IServiceProvider services, BrokerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.LaunchToken) || string.IsNullOrEmpty(request.Nonce) || string.IsNullOrEmpty(request.PublicKey) ||
            string.IsNullOrEmpty(request.Signature) || string.IsNullOrEmpty(request.OrchId) || string.IsNullOrEmpty(request.TaskId))
        {
            return Fail(ErrorCatalog.InvalidRequest, "missing required field", "launch_token, nonce, public_key, signature, orch_id and task_id are required");
        }

        if (request.RequestedScope is null || request.RequestedScope.Length == 0)
        {
            return Fail(ErrorCatalog.InvalidRequest, "missing required field: requested_scope");
        }

        if (!AgentId.IsPathSegment(request.OrchId) || !AgentId.IsPathSegment(request.TaskId))
        {
            return Fail(ErrorCatalog.InvalidRequest, "orch_id and task_id must be 1-128 characters of letters, digits, '-', '_' or '.'");
        }

        if (!ScopeSet.TryParse(request.RequestedScope, out var requested, out string? scopeError))
        {
            return Fail(ErrorCatalog.InvalidScopeFormat, scopeError);
        }

        // admin: and app: belong to the operator's and apps' tokens: a wildcard ceiling such as
        // "*:launch-tokens:*" covers them by grammar, but no agent may carry them.
        if (requested.Items.FirstOrDefault(s => s.IsReserved) is { Value: not null } reserved)
        {
            return Fail(ErrorCatalog.ScopeViolation, "requested scope is in a reserved namespace", $"'{reserved.Value}' is under admin: or app:, which no agent token may carry");
        }

        // A revoked task may not gain new agents: their tokens would outlive the revocation entry.
        if (services.GetRequiredService<Revocation.RevocationList>().IsTaskRevoked(request.TaskId))
        {
            return Fail(ErrorCatalog.AgentRevoked, "task has been revoked", "register under a new task_id");
        }

        // 1. Launch token: looked up, not yet used; it is used only once everything else checks out.
        long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        string tokenHash = LaunchTokenHash.Of(request.LaunchToken);
        var launch = await services.GetRequiredService<ILaunchTokenStore>().FindAsync(tokenHash, cancellationToken);
        if (launch is null)
        {
            return Fail(ErrorCatalog.Unauthorized, "launch token: launch token not found", "ask the operator for a new launch token");
        }

        if (launch.ExpiresAtMs <= nowMs)
        {
            return Fail(ErrorCatalog.Unauthorized, "launch token: launch token expired", "ask the operator for a new launch token and register as soon as it arrives");
        }

        if (launch.SingleUse && launch.UseCount > 0)
        {
            return Fail(ErrorCatalog.Unauthorized, "launch token: launch token already consumed", "launch tokens are single-use; ask the operator for a new one");
        }

        // A launch token dies with the app that created it.
        if (launch.AppId.Length > 0 &&
            await services.GetRequiredService<Tessera.Storage.Clients.IClientStore>().FindByEntityIdAsync(launch.AppId, cancellationToken) is not { Status: "active" })
        {
            return Fail(ErrorCatalog.Unauthorized, "launch token: launch token revoked (its app was deregistered)", "ask an active app or the operator for a new launch token");
        }

        // 2. Policy: scope ceiling, audience, lifetime.
        var ceiling = ScopeSet.Of([.. launch.AllowedScope]);
        if (ceiling.FirstUncovered(requested) is { } uncovered)
        {
            return Fail(ErrorCatalog.ScopeViolation, "requested scope exceeds allowed scope", $"'{uncovered.Value}' is not covered by the launch token's allowed_scope");
        }

        string[] audience;
        if (!string.IsNullOrEmpty(request.Audience))
        {
            if (launch.AllowedAudience.Count > 0 && !launch.AllowedAudience.Contains(request.Audience, StringComparer.Ordinal))
            {
                return Fail(ErrorCatalog.AudienceNotAllowed, "requested audience is not allowed by the launch token", "request one of the launch policy's allowed_audience");
            }

            // An empty allowed_audience means the broker's own issuer, never "whatever the agent asks for":
            // otherwise a launch token without an audience would mint tokens for any platform, grant or not.
            if (launch.AllowedAudience.Count == 0 && !string.Equals(request.Audience, options.Issuer, StringComparison.Ordinal))
            {
                return Fail(ErrorCatalog.AudienceNotAllowed, "requested audience is not allowed by the launch token", "this launch token allows only the broker's issuer as audience; omit audience, or ask for a launch token whose allowed_audience names it");
            }

            if (request.Audience.Length > 256 || request.Audience.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                return Fail(ErrorCatalog.InvalidRequest, "audience must be at most 256 characters without spaces");
            }

            audience = [request.Audience];
        }
        else if (launch.AllowedAudience.Count == 1)
        {
            audience = [launch.AllowedAudience[0]];
        }
        else if (launch.AllowedAudience.Count > 1)
        {
            return Fail(ErrorCatalog.InvalidRequest, "audience is required: the launch token allows several audiences");
        }
        else
        {
            audience = [options.Issuer];
        }

        int ttl = launch.MaxTtl;
        if (request.RequestedTtl is { } requestedTtl)
        {
            if (requestedTtl <= 0)
            {
                return Fail(ErrorCatalog.InvalidTtl, "requested_ttl must be a positive number of seconds");
            }

            if (requestedTtl > launch.MaxTtl)
            {
                return Fail(ErrorCatalog.InvalidTtl, $"requested_ttl exceeds the launch policy's max_ttl of {launch.MaxTtl} seconds");
            }

            ttl = requestedTtl;
        }

        var tokens = services.GetRequiredService<TokenService>();
        ttl = tokens.ClampToCeiling(ttl);

        // 3. Nonce: used up by this attempt whatever happens next.
        var nonceResult = await services.GetRequiredService<INonceStore>().ConsumeAsync(request.Nonce, nowMs, cancellationToken);
        if (nonceResult == NonceConsumeResult.NotFoundOrExpired)
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce: nonce not found or expired", $"get a fresh nonce from GET /v1/challenge and register within {options.NonceTtl} seconds");
        }

        if (nonceResult == NonceConsumeResult.AlreadyConsumed)
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce: nonce already consumed", "each nonce is single-use; get a fresh one from GET /v1/challenge");
        }

        // 4. Key and proof of possession: Ed25519 over the hex-decoded nonce bytes.
        byte[]? publicKey = DecodeBase64(request.PublicKey);
        if (publicKey is null)
        {
            return Fail(ErrorCatalog.Unauthorized, "invalid Ed25519 public key: base64 decode failed", "send base64 of the raw 32-byte public key");
        }

        if (publicKey.Length != 32)
        {
            return Fail(ErrorCatalog.Unauthorized, "invalid Ed25519 public key: wrong key size", "send the raw 32-byte key (Encoding.Raw, PublicFormat.Raw), not DER or PEM");
        }

        byte[]? signature = DecodeBase64(request.Signature);
        if (signature is null)
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce signature verification failed: base64 decode failed", "send base64 of the 64-byte Ed25519 signature");
        }

        byte[] nonceBytes = Convert.FromHexString(request.Nonce);
        if (signature.Length != 64 ||
            !PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null ||
            !SignatureAlgorithm.Ed25519.Verify(key, nonceBytes, signature))
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce signature verification failed", "sign bytes.fromhex(nonce), the 32 decoded bytes, not the hex text");
        }

        // 5. Use the launch token and store the agent atomically: one winner under any concurrency.
        var agentId = AgentId.Create(TrustDomain.Parse(options.TrustDomain), request.OrchId, request.TaskId);
        string[] scope = requested.ToArray();
        var consumed = await services.GetRequiredService<IRegistrationStore>().RegisterAsync(
            new AgentRecord
            {
                AgentId = agentId.Value,
                OrchId = request.OrchId,
                TaskId = request.TaskId,
                AgentName = launch.AgentName,
                PublicKey = publicKey,
                LaunchTokenHash = tokenHash,
                Scope = scope,
                Audience = audience,
                MaxTtl = launch.MaxTtl,
                CreatedAtMs = nowMs,
                AppId = launch.AppId,
            },
            time.GetUtcNow().ToUnixTimeMilliseconds(),
            cancellationToken);
        switch (consumed)
        {
            case LaunchTokenConsumeResult.NotFound:
                return Fail(ErrorCatalog.Unauthorized, "consume launch token: launch token not found");
            case LaunchTokenConsumeResult.Expired:
                return Fail(ErrorCatalog.Unauthorized, "consume launch token: launch token expired");
            case LaunchTokenConsumeResult.AlreadyConsumed:
                return Fail(ErrorCatalog.Unauthorized, "consume launch token: launch token already consumed");
        }

        var (token, claims) = tokens.Issue(agentId.Value, audience, scope, ttl, request.TaskId, request.OrchId, agentId.Value, appId: launch.AppId);
        return new RegisterOutcome(new RegisterSuccess(agentId.Value, token, claims.JwtId, ttl, scope, launch.AppId), null);
    }

    private static byte[]? DecodeBase64(string value)
    {
        if (value.Length > 512)
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[384];
        if (Convert.TryFromBase64String(value, buffer, out int written))
        {
            return buffer[..written].ToArray();
        }

        // Also accept the URL-safe alphabet: the key is the same either way.
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(value.TrimEnd('='));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Safe(string? value) => value is not null && AgentId.IsPathSegment(value) ? value : null;

    private static RegisterOutcome Fail(ErrorDescriptor error, string detail, string? hint = null) => new(null, new Failure(error, detail, hint));

    private sealed record RegisterSuccess(string AgentId, string Token, string JwtId, int Ttl, string[] Scope, string AppId);

    private sealed record RegisterOutcome(RegisterSuccess? Success, Failure? Failure);
}
