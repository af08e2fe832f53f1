using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using Tessera.Audit;
using Tessera.Broker.Admin;
using Tessera.Broker.Audit;
using Tessera.Broker.Configuration;
using Tessera.Broker.Metrics;
using Tessera.Broker.Revocation;
using Tessera.Broker.Tokens;
using Tessera.Errors;
using Tessera.Identity;
using Tessera.Scopes;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Nonces;

namespace Tessera.Broker.Registration;

/// <summary>
/// What <c>POST /v1/register</c> works with, bound from DI as one handler parameter
/// (<c>[AsParameters]</c>; a struct, so nothing is allocated for it).
/// </summary>
/// <param name="Options">The broker's settings.</param>
/// <param name="Time">The clock.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Metrics">The broker's metrics.</param>
/// <param name="Revocations">The revocation list (a revoked task gains no agents).</param>
/// <param name="LaunchTokens">The launch tokens.</param>
/// <param name="Clients">The clients (a launch token dies with its app).</param>
/// <param name="Nonces">The challenge nonces.</param>
/// <param name="Registrations">Uses the launch token and stores the agent, atomically.</param>
/// <param name="Tokens">Issues the agent's first token.</param>
internal readonly record struct RegistrationServices(
    IOptions<BrokerOptions> Options,
    TimeProvider Time,
    AuditLog Audit,
    BrokerMetrics Metrics,
    RevocationList Revocations,
    ILaunchTokenStore LaunchTokens,
    IClientStore Clients,
    INonceStore Nonces,
    IRegistrationStore Registrations,
    TokenService Tokens);

/// <summary>
/// The registration itself: a launch token, a nonce and an Ed25519 proof of possession become an agent
/// identity and its first token. Checks run in the documented order and stop at the first failure;
/// every outcome is counted and, except a malformed request, audited.
/// </summary>
internal static class AgentRegistration
{
    /// <summary>Registers the agent <paramref name="request"/> describes, or says why not.</summary>
    /// <remarks>
    /// The hot path's async methods use the pooling builder: splitting the work out of the handler adds
    /// no allocation per request.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<RegisterOutcome> RegisterAsync(RegisterRequest request, RegistrationServices s, CancellationToken cancellationToken)
    {
        var outcome = await RegisterCoreAsync(request, s, cancellationToken);
        await (outcome.Failure is { } failure
            ? RecordFailureAsync(request, failure, s, cancellationToken)
            : RecordSuccessAsync(request, outcome.Success!, s, cancellationToken));
        return outcome;
    }

    private static Task RecordFailureAsync(RegisterRequest request, Failure failure, RegistrationServices s, CancellationToken cancellationToken)
    {
        s.Metrics.Registrations.WithLabels("failure").Inc();
        if (failure.Error == ErrorCatalog.InvalidRequest)
        {
            return Task.CompletedTask;
        }

        string type = failure.Error.Status == 403 || failure.Error == ErrorCatalog.InvalidTtl
            ? AuditEventTypes.RegistrationPolicyViolation
            : AuditEventTypes.RegistrationFailed;
        return s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, type, AuditOutcomes.Denied, failure.Detail, null, RegistrationValidation.Safe(request.TaskId), RegistrationValidation.Safe(request.OrchId)),
            cancellationToken: cancellationToken);
    }

    private static Task RecordSuccessAsync(RegisterRequest request, RegisterSuccess success, RegistrationServices s, CancellationToken cancellationToken)
    {
        var appSuffix = success.AppId.Length > 0 ? AuditFragment.Of($" | app_id={success.AppId}") : AuditFragment.Empty;
        s.Metrics.Registrations.WithLabels("success").Inc();
        s.Metrics.ActiveAgents.Inc();
        s.Metrics.TokenIssued(success.Scope);
        return s.Audit.RecordAsync(
            AuditDraft.Of(s.Time, AuditEventTypes.AgentRegistered, AuditOutcomes.Success, $"agent registered | scope={string.Join(',', success.Scope)}{appSuffix}", success.AgentId, request.TaskId, request.OrchId),
            AuditDraft.Of(s.Time, AuditEventTypes.TokenIssued, AuditOutcomes.Success, $"token issued | jti={success.JwtId} | ttl={success.Ttl}{appSuffix}", success.AgentId, request.TaskId, request.OrchId),
            cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<RegisterOutcome> RegisterCoreAsync(RegisterRequest request, RegistrationServices s, CancellationToken cancellationToken)
    {
        var options = s.Options.Value;
        var time = s.Time;
        if (RegistrationValidation.CheckRequest(request, out var requested) is { } invalid)
        {
            return new RegisterOutcome(null, invalid);
        }

        // CheckRequest saw every one of these non-empty.
        string launchToken = request.LaunchToken!, nonce = request.Nonce!, orchId = request.OrchId!, taskId = request.TaskId!;

        // A revoked task may not gain new agents: their tokens would outlive the revocation entry.
        if (s.Revocations.IsTaskRevoked(taskId))
        {
            return Fail(ErrorCatalog.AgentRevoked, "task has been revoked", "register under a new task_id");
        }

        // 1. Launch token: looked up, not yet used; it is used only once everything else checks out.
        long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        string tokenHash = LaunchTokenHash.Of(launchToken);
        var launch = await s.LaunchTokens.FindAsync(tokenHash, cancellationToken);
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
            await s.Clients.FindByEntityIdAsync(launch.AppId, cancellationToken) is not { Status: ClientStatuses.Active })
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
            if (launch.AllowedAudience.Count > 0 && !Contains(launch.AllowedAudience, request.Audience))
            {
                return Fail(ErrorCatalog.AudienceNotAllowed, "requested audience is not allowed by the launch token", "request one of the launch policy's allowed_audience");
            }

            // An empty allowed_audience means the broker's own issuer, never "whatever the agent asks for":
            // otherwise a launch token without an audience would mint tokens for any platform, grant or not.
            if (launch.AllowedAudience.Count == 0 && !string.Equals(request.Audience, options.Issuer, StringComparison.Ordinal))
            {
                return Fail(ErrorCatalog.AudienceNotAllowed, "requested audience is not allowed by the launch token", "this launch token allows only the broker's issuer as audience; omit audience, or ask for a launch token whose allowed_audience names it");
            }

            if (RegistrationValidation.CheckAudience(request.Audience) is { } badAudience)
            {
                return new RegisterOutcome(null, badAudience);
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

        if (RegistrationValidation.CheckTtl(request.RequestedTtl, launch.MaxTtl, out int ttl) is { } badTtl)
        {
            return new RegisterOutcome(null, badTtl);
        }

        ttl = s.Tokens.ClampToCeiling(ttl);

        // 3. Nonce: used up by this attempt whatever happens next.
        var nonceResult = await s.Nonces.ConsumeAsync(nonce, nowMs, cancellationToken);
        if (nonceResult == NonceConsumeResult.NotFoundOrExpired)
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce: nonce not found or expired", $"get a fresh nonce from GET /v1/challenge and register within {options.NonceTtl} seconds");
        }

        if (nonceResult == NonceConsumeResult.AlreadyConsumed)
        {
            return Fail(ErrorCatalog.Unauthorized, "nonce: nonce already consumed", "each nonce is single-use; get a fresh one from GET /v1/challenge");
        }

        // 4. Key and proof of possession: Ed25519 over the hex-decoded nonce bytes.
        if (RegistrationValidation.ReadPublicKey(request.PublicKey!, out byte[] publicKey) is { } badKey)
        {
            return new RegisterOutcome(null, badKey);
        }

        if (RegistrationValidation.ReadSignature(request.Signature!, out byte[] signature) is { } badSignature)
        {
            return new RegisterOutcome(null, badSignature);
        }

        byte[] nonceBytes = Convert.FromHexString(nonce);
        if (signature.Length != 64 ||
            !PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null ||
            !SignatureAlgorithm.Ed25519.Verify(key, nonceBytes, signature))
        {
            return new RegisterOutcome(null, RegistrationValidation.BadSignature);
        }

        // 5. Use the launch token and store the agent atomically: one winner under any concurrency.
        var agentId = AgentId.Create(TrustDomain.Parse(options.TrustDomain), orchId, taskId);
        string[] scope = requested.ToArray();
        var consumed = await s.Registrations.RegisterAsync(
            new AgentRecord
            {
                AgentId = agentId.Value,
                OrchId = orchId,
                TaskId = taskId,
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

        var (token, claims) = s.Tokens.Issue(agentId.Value, audience, scope, ttl, taskId, orchId, agentId.Value, appId: launch.AppId);
        return new RegisterOutcome(new RegisterSuccess(agentId.Value, token, claims.JwtId, ttl, scope, launch.AppId), null);
    }

    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static RegisterOutcome Fail(ErrorDescriptor error, string detail, string? hint = null) => new(null, new Failure(error, detail, hint));
}

/// <summary>A registered agent and its first token.</summary>
internal sealed record RegisterSuccess(string AgentId, string Token, string JwtId, int Ttl, string[] Scope, string AppId);

/// <summary>What a registration came to: exactly one of the two is set.</summary>
internal readonly record struct RegisterOutcome(RegisterSuccess? Success, Failure? Failure);
