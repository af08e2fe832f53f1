namespace Tessera.Client;

/// <summary>
/// A token delegated to a sub-agent. It cannot be renewed (it never outlives its delegator's), so
/// once it expires the provider throws and the delegator must delegate again.
/// </summary>
public sealed class DelegatedToken : ITesseraTokenProvider
{
    private readonly TimeProvider _time;
    private volatile bool _rejected;

    internal DelegatedToken(string agentId, string token, DateTimeOffset expiresAt, TimeProvider time)
    {
        AgentId = agentId;
        Token = token;
        ExpiresAt = expiresAt;
        _time = time;
    }

    /// <summary>The sub-agent the token was delegated to.</summary>
    public string AgentId { get; }

    /// <summary>The delegated token.</summary>
    public string Token { get; }

    /// <summary>When it expires (local clock).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <inheritdoc />
    public ValueTask<string?> AudienceForHostAsync(string host, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(string.Empty);

    /// <inheritdoc />
    public ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        if (_rejected)
        {
            throw new TesseraRevokedException("the delegated token was refused by a platform; ask the delegating agent to delegate again");
        }

        if (_time.GetUtcNow() >= ExpiresAt)
        {
            throw new TesseraException("the delegated token has expired; ask the delegating agent to delegate again", "delegated_token_expired", 0, null, null, null, null);
        }

        return ValueTask.FromResult(Token);
    }

    /// <inheritdoc />
    public Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken)
    {
        _rejected = true;
        throw new TesseraRevokedException("the delegated token was refused by a platform and cannot be renewed; ask the delegating agent to delegate again");
    }
}
