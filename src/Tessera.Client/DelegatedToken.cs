using System.Buffers.Text;
using System.Text.Json;

namespace Tessera.Client;

/// <summary>
/// A token delegated to a sub-agent, usable through <see cref="TesseraTokenHandler"/> like any
/// other provider. It cannot be renewed (it never outlives its delegator's), so once it expires or
/// a platform refuses it the provider throws and the delegator must delegate again.
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
        Audience = TokenPayload.Audience(token);
        _time = time;
    }

    /// <summary>The platform (audience) the token is for (its <c>aud</c>, read without verification).</summary>
    public string Audience { get; }

    /// <summary>The sub-agent the token was delegated to.</summary>
    public string AgentId { get; }

    /// <summary>The delegated token, to hand to a sub-agent running in another process (see <see cref="FromToken"/>).</summary>
    public string Token { get; }

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// Wraps a delegated token received from the delegating agent (for a sub-agent in another
    /// process). Reads <c>sub</c> and <c>exp</c> from the token without verifying it: they only
    /// decide when to stop using it; the platform verifies the token.
    /// </summary>
    /// <exception cref="TesseraConfigurationException">The text is not a JWT with <c>sub</c> and <c>exp</c>.</exception>
    public static DelegatedToken FromToken(string token, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        string[] parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new TesseraConfigurationException("a delegated token is a JWT (three dot-separated parts)");
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            string subject = payload.RootElement.GetProperty("sub").GetString() ?? throw new KeyNotFoundException("sub");
            long exp = payload.RootElement.GetProperty("exp").GetInt64();
            return new DelegatedToken(subject, token, DateTimeOffset.FromUnixTimeSeconds(exp), timeProvider ?? TimeProvider.System);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            throw new TesseraConfigurationException("the delegated token's payload has no readable sub and exp", ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A delegated token knows no platform origins: it answers its <see cref="Audience"/> for an
    /// origin the application listed (<see cref="TesseraHandlerOptions.AllowedOrigins"/>) and null
    /// for every other one, so it goes nowhere else.
    /// </remarks>
    public ValueTask<string?> AudienceForOriginAsync(Uri origin, bool listed, CancellationToken cancellationToken) =>
        ValueTask.FromResult(listed ? Audience : null);

    /// <inheritdoc />
    public ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken)
    {
        if (_rejected)
        {
            return ValueTask.FromException<string>(new TesseraRevokedException("the delegated token was refused by a platform; ask the delegating agent to delegate again"));
        }

        if (_time.GetUtcNow() >= ExpiresAt)
        {
            return ValueTask.FromException<string>(Expired());
        }

        return ValueTask.FromResult(Token);
    }

    /// <inheritdoc />
    /// <remarks>A delegated token cannot be replaced here: this always fails, and later calls fail too.</remarks>
    public Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken)
    {
        // A refusal in the token's last second is most likely its expiry (exp has whole seconds), not a revocation.
        if (_time.GetUtcNow() >= ExpiresAt - TimeSpan.FromSeconds(1))
        {
            return Task.FromException<string>(Expired());
        }

        _rejected = true;
        return Task.FromException<string>(new TesseraRevokedException("the delegated token was refused by a platform and cannot be renewed; ask the delegating agent to delegate again"));
    }

    private static TesseraException Expired() =>
        new("the delegated token has expired; ask the delegating agent to delegate again", "delegated_token_expired", 0, null, null, null, null);
}
