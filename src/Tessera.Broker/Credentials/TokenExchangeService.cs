using Microsoft.AspNetCore.Http.HttpResults;
using Tessera.Audit;
using Tessera.Broker.Audit;
using Tessera.Errors;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The work behind <c>POST /v1/token</c> and <c>POST /v1/platforms/me</c> once the request is read:
/// authenticate the agent, audit a refusal, then exchange its credential for a platform token
/// (<see cref="CredentialExchange"/>) or list the platforms it is granted.
/// </summary>
internal static class TokenExchangeService
{
    /// <summary>Authenticates the agent and exchanges its credential; a failed HTTP Basic authentication also gets the Basic challenge.</summary>
    public static async Task<Results<OAuthTokenResult, OAuthErrorResult>> ExchangeAsync(
        ClientAuthenticator authenticator, CredentialExchange exchange, AuditLog audit, TimeProvider time,
        PresentedCredentials credentials, Dictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthenticateAsync(credentials, CredentialExchange.AgentKind, cancellationToken);
        if (auth.Client is not { } agent)
        {
            await audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, AuditOutcomes.Denied, $"token exchange refused | code={auth.Error!.Code} | {auth.Detail} | key_id={PresentedKeyId(credentials.ClientId)} | method={credentials.Method}"),
                cancellationToken: cancellationToken);
            return new OAuthErrorResult(auth.Error!, auth.Detail, wwwAuthenticate: credentials.Method == ClientAuthenticator.Basic ? OAuthErrorResult.BasicChallenge : null);
        }

        var result = await exchange.ExchangeAsync(agent, parameters.GetValueOrDefault("resource"), parameters.GetValueOrDefault("scope"), credentials.Method, cancellationToken);
        if (result.Error is { } error)
        {
            return new OAuthErrorResult(error, result.Detail, result.RetryAfterSeconds);
        }

        return new OAuthTokenResult(result.Token!, result.ExpiresIn, result.Claims!.Scope);
    }

    /// <summary>Authenticates the agent and lists the platforms it holds a grant on; the refusal is audited.</summary>
    public static async Task<(MyPlatformsResponse? Platforms, Failure? Failure)> MyPlatformsAsync(
        ClientAuthenticator authenticator, IPlatformStore store, AuditLog audit, TimeProvider time, PresentedCredentials credentials, CancellationToken cancellationToken)
    {
        var auth = await authenticator.AuthenticateAsync(credentials, CredentialExchange.AgentKind, cancellationToken);
        var refusal = auth.Client is { } client ? CredentialExchange.CheckStatus(client) : ExchangeResult.Fail(auth.Error!, auth.Detail);
        if (refusal is not null)
        {
            await audit.RecordAsync(
                AuditDraft.Of(time, AuditEventTypes.TokenExchangeFailed, AuditOutcomes.Denied, $"platform discovery refused | code={refusal.Error!.Code} | {refusal.Detail} | key_id={PresentedKeyId(credentials.ClientId)}", auth.Client?.EntityId),
                cancellationToken: cancellationToken);
            return (null, new Failure(refusal.Error!, refusal.Detail));
        }

        var agent = auth.Client!;
        var entries = new List<MyPlatform>();
        foreach (var grant in await store.ListGrantsAsync(agent.EntityId, cancellationToken))
        {
            if (await store.FindAsync(grant.PlatformId, cancellationToken) is { } p)
            {
                entries.Add(new MyPlatform(p.PlatformId, p.Name, [.. p.Hostnames], [.. grant.Scopes], p.TokenProfile));
            }
        }

        return (new MyPlatformsResponse(agent.EntityId, [.. entries]), null);
    }

    /// <summary>The presented key id as the audit chain may hold it (<see cref="AuditRedaction.ClientId"/>).</summary>
    private static string PresentedKeyId(string? value) => AuditRedaction.ClientId(value);
}
