using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore.Errors;
using Tessera.AspNetCore.Keys;
using Tessera.AspNetCore.Reporting;
using Tessera.Keys;
using Tessera.Tokens;

namespace Tessera.AspNetCore.Authentication;

/// <summary>
/// Verifies the bearer token locally: shape and size, <c>alg</c> pinned before any key work,
/// <c>kid</c> known (one refetch for an unknown one), signature, issuer, audience, time with
/// leeway. Failures carry the stable codes of <see cref="VerifierError"/>; the challenge writes
/// them as problem+json with an RFC 6750 header. With reporting on, a token refused although its
/// signature verified (revoked, expired, wrong audience) leaves its agent for the decision point
/// that answers the request to report.
/// </summary>
public sealed class TesseraAuthenticationHandler(
    IOptionsMonitor<TesseraAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, TesseraVerifierCache verifiers)
    : AuthenticationHandler<TesseraAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>Key of the failure code in <c>HttpContext.Items</c>.</summary>
    public static readonly object FailureKey = new();

    /// <summary>Key of a message for the caller, when the code alone would mislead, in <c>HttpContext.Items</c>.</summary>
    public static readonly object FailureMessageKey = new();

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (!BearerHeader.TryRead(header, out string token))
        {
            Context.Items[FailureKey] = VerifierError.MissingToken;
            return AuthenticateResult.NoResult();
        }

        var entry = verifiers.EntryOf(Scheme.Name, Options);
        var (cache, verifier, algorithm, verified) = (entry.Cache, entry.Verifier, entry.Algorithm, entry.Verified);
        if (verified.TryGet(token, TimeProvider.GetUtcNow().ToUnixTimeSeconds(), (long)Options.ClockSkew.TotalSeconds, out var known))
        {
            return await SucceedAsync(known!);
        }

        // Read before verifying: a result reached under issuers replaced meanwhile is not cached.
        long generation = verified.Generation;

        // While the cached keys are fresh, one pass does it all (the header is read once); only a
        // kid the cache does not hold, or keys past their TTL, take the path that may fetch.
        var now = TimeProvider.GetUtcNow();
        bool fresh = cache.IsFresh(now);
        var result = fresh ? verifier.Validate(token, now) : default;
        if (!fresh || result.Error == TokenError.UnknownKey)
        {
            if (!TokenVerifier.TryReadUnverifiedHeader(token, Options.MaxTokenLength, out string? alg, out string? kid) ||
                !string.Equals(alg, algorithm.Name(), StringComparison.Ordinal) || string.IsNullOrEmpty(kid))
            {
                return await FailAsync(VerifierError.InvalidToken, "malformed token or algorithm not allowed");
            }

            var lookup = await cache.EnsureAsync(kid, Context.RequestAborted);
            if (lookup == JwksLookup.Unavailable)
            {
                var retryAfter = cache.RetryAfter(TimeProvider.GetUtcNow());
                int seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
                Context.Items[VerifierProblem.RetryAfterKey] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                entry.Refusals.JwksUnavailable(cache, retryAfter);
                return await FailAsync(VerifierError.JwksUnavailable, $"the verification keys could not be fetched from {entry.PublishedJwks}; retry in {seconds} s", true);
            }

            if (lookup == JwksLookup.UnknownKey)
            {
                var published = entry.PublishedJwks;
                string detail = RefusalDetails.UnknownKey(token, kid, published, verifier.ValidIssuers, Options.MaxTokenLength);
                entry.Refusals.UnknownKey(published == cache.Uri ? detail : $"{detail} (keys fetched from {cache.Uri})");
                return await FailAsync(VerifierError.InvalidToken, detail, true);
            }

            result = verifier.Validate(token, TimeProvider.GetUtcNow());
        }

        if (!result.IsValid)
        {
            if (result.Error is TokenError.Expired or TokenError.WrongAudience)
            {
                // Decided after the signature verified (the verifier's documented order): the sub is authentic.
                RememberVerifiedAgentOf(token);
            }

            if (result.Error == TokenError.WrongIssuer)
            {
                string detail = RefusalDetails.WrongIssuer(token, verifier.ValidIssuers, entry.IssuerOrigin, Options.MaxTokenLength);
                entry.Refusals.WrongIssuer(detail);
                return await FailAsync(VerifierError.WrongIssuer, detail, true);
            }

            if (result.Error == TokenError.WrongAudience)
            {
                string detail = RefusalDetails.WrongAudience(token, Options.Audience, Options.MaxTokenLength);
                entry.Refusals.WrongAudience(detail);
                return await FailAsync(VerifierError.WrongAudience, detail, true);
            }

            var error = result.Error switch
            {
                TokenError.Expired => VerifierError.ExpiredToken,
                TokenError.NotYetValid => VerifierError.TokenNotYetValid,
                _ => VerifierError.InvalidToken,
            };
            return await FailAsync(error, result.Reason);
        }

        verified.Add(token, result.Claims, generation);
        return await SucceedAsync(result.Claims);
    }

    private async Task<AuthenticateResult> SucceedAsync(AccessTokenClaims claims)
    {
        if (verifiers.RevocationsOf(Scheme.Name, Options) is { } revocations)
        {
            await revocations.EnsureStartedAsync(Options.RevocationStartupWait);
            if (revocations.IsRevoked(claims))
            {
                RememberVerifiedAgent(claims.Subject);
                return await FailAsync(VerifierError.TokenRevoked, null);
            }

            // A view that has not heard from the broker for too long cannot vouch for older tokens.
            var now = TimeProvider.GetUtcNow();
            if (!Options.RevocationFailOpen && revocations.Staleness > Options.RevocationMaxStaleness &&
                claims.IssuedAt < (now - Options.RevocationMaxStaleness).ToUnixTimeSeconds())
            {
                const string stale = "revocation status cannot be confirmed: the revocation feed is stale; obtain a fresh token";
                Context.Items[FailureMessageKey] = stale;
                RememberVerifiedAgent(claims.Subject);
                return await FailAsync(VerifierError.TokenRevoked, stale);
            }
        }

        await Options.Events.TokenVerified(new TokenVerifiedContext(Context, claims));
        var identity = new ClaimsIdentity(Scheme.Name, TesseraClaimTypes.AgentId, null);
        identity.AddClaim(new Claim(TesseraClaimTypes.AgentId, claims.Subject));
        identity.AddClaim(new Claim(TesseraClaimTypes.TokenId, claims.JwtId));
        foreach (string scope in claims.Scope)
        {
            identity.AddClaim(new Claim(TesseraClaimTypes.Scope, scope));
        }

        if (claims.TaskId is { } task)
        {
            identity.AddClaim(new Claim(TesseraClaimTypes.TaskId, task));
        }

        if (claims.OrchId is { } orch)
        {
            identity.AddClaim(new Claim(TesseraClaimTypes.OrchId, orch));
        }

        if (claims.AppId is { } app)
        {
            identity.AddClaim(new Claim(TesseraClaimTypes.AppId, app));
        }

        foreach (var hop in claims.DelegationChain)
        {
            identity.AddClaim(new Claim(TesseraClaimTypes.Delegator, hop.Agent));
        }

        var principal = new ClaimsPrincipal(identity);
        var properties = new AuthenticationProperties();
        properties.Items["tessera.exp"] = claims.ExpiresAt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var error = Context.Items[FailureKey] as VerifierError ?? VerifierError.MissingToken;
        if (Context.Items[EnforcementPoints.VerifiedAgentKey] is string agent && verifiers.ReporterOf(Scheme.Name) is { } reporter)
        {
            EnforcementPoints.ReportOnce(Context, reporter, EnforcementOutcome.Deny(agent, error.Code, Request.Method, EnforcementPoints.RouteOf(Context)));
        }

        return VerifierProblem.WriteAsync(Context, error, Options.ErrorBody, Context.Items[FailureMessageKey] as string);
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        VerifierProblem.WriteAsync(Context, VerifierError.MissingScope, Options.ErrorBody);

    private void RememberVerifiedAgent(string agent)
    {
        if (verifiers.ReporterOf(Scheme.Name) is not null)
        {
            Context.Items[EnforcementPoints.VerifiedAgentKey] = agent;
        }
    }

    private void RememberVerifiedAgentOf(string token)
    {
        if (verifiers.ReporterOf(Scheme.Name) is not null && EnforcementPoints.TryReadVerifiedSubject(token, out string? agent))
        {
            Context.Items[EnforcementPoints.VerifiedAgentKey] = agent;
        }
    }

    // With forCaller, the reason is also the refusal's detail: it names values, never the token.
    private async Task<AuthenticateResult> FailAsync(VerifierError error, string? reason, bool forCaller = false)
    {
        Context.Items[FailureKey] = error;
        if (forCaller)
        {
            Context.Items[FailureMessageKey] = reason;
        }

        await Options.Events.VerificationFailed(new VerificationFailedContext(Context, error));
        return AuthenticateResult.Fail($"{error.Code}: {reason ?? error.Message}");
    }
}
