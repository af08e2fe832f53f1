namespace Tessera.Broker.Registration;

internal sealed record ChallengeResponse(string Nonce, int ExpiresIn);

internal sealed class RegisterRequest
{
    public string? LaunchToken { get; set; }

    public string? Nonce { get; set; }

    public string? PublicKey { get; set; }

    public string? Signature { get; set; }

    public string? OrchId { get; set; }

    public string? TaskId { get; set; }

    public string?[]? RequestedScope { get; set; }

    public int? RequestedTtl { get; set; }

    public string? Audience { get; set; }
}

internal sealed record RegisterResponse(string AgentId, string AccessToken, int ExpiresIn, string TokenType);
