using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Storage.Nonces;

namespace Tessera.Broker.Registration;

/// <summary>
/// <c>GET /v1/challenge</c> and <c>POST /v1/register</c>. The request is checked by
/// <see cref="RegistrationValidation"/>, the work done by <see cref="AgentRegistration"/>.
/// </summary>
internal static class RegistrationEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // An agent registers before it holds any credential: the launch token and the signed nonce in the body prove it.
        app.MapGet("/v1/challenge", ChallengeAsync)
            .RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous()
            .WithName("getChallenge")
            .WithSummary("Get a registration nonce")
            .WithDescription("A fresh single-use nonce: 32 random bytes as 64 lowercase hex characters, valid for nonce_ttl seconds. Sign the hex-decoded bytes, not the hex text. No authentication; rate limited per client address with the public token bucket.")
            .WithTags("Registration");
        app.MapPost("/v1/register", RegisterAsync)
            .RequireRateLimiting(Hosting.BrokerApplication.PublicRateLimitPolicy).AllowAnonymous()
            .WithName("register")
            .WithSummary("Register an agent and receive its first token")
            .WithDescription("Exchanges a launch token, a nonce from GET /v1/challenge and an Ed25519 signature over the nonce bytes for an agent identity (a SPIFFE ID) and an access token. Checks the request, the task's revocation, the launch token, its scope, audience and lifetime policy, then uses the nonce, verifies the proof and uses the launch token, stopping at the first failure. No Bearer token; rate limited with the public token bucket.")
            .WithTags("Registration")
            .ProducesErrors(
                ErrorCatalog.InvalidRequest, ErrorCatalog.InvalidScopeFormat, ErrorCatalog.InvalidTtl, ErrorCatalog.Unauthorized,
                ErrorCatalog.ScopeViolation, ErrorCatalog.AudienceNotAllowed, ErrorCatalog.AgentRevoked);
    }

    private static async Task<Ok<ChallengeResponse>> ChallengeAsync(IOptions<BrokerOptions> options, TimeProvider time, INonceStore nonces, CancellationToken cancellationToken)
    {
        int ttl = options.Value.NonceTtl;
        string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        long expires = time.GetUtcNow().AddSeconds(ttl).ToUnixTimeMilliseconds();
        await nonces.CreateAsync(nonce, expires, cancellationToken);
        return TypedResults.Ok(new ChallengeResponse(nonce, ttl));
    }

    private static async Task<Results<Ok<RegisterResponse>, ProblemResult>> RegisterAsync(
        RequestBody<RegisterRequest> body, [AsParameters] RegistrationServices services, CancellationToken cancellationToken)
    {
        var outcome = await AgentRegistration.RegisterAsync(body.Value, services, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return failure.ToResult();
        }

        var success = outcome.Success!;
        return TypedResults.Ok(new RegisterResponse(success.AgentId, success.Token, success.Ttl, "Bearer"));
    }
}
