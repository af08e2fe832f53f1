namespace Tessera.Broker.Admin;

internal sealed class AdminAuthRequest
{
    public string? Secret { get; set; }

    // Old clients sent these; they get a clear migration message instead of "invalid credentials".
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}

internal sealed record AdminAuthResponse(string AccessToken, int ExpiresIn, string TokenType);

internal sealed class LaunchTokenRequest
{
    public string? AgentName { get; set; }

    public string?[]? AllowedScope { get; set; }

    public int? MaxTtl { get; set; }

    public bool? SingleUse { get; set; }

    public int? Ttl { get; set; }

    public string?[]? AllowedAudience { get; set; }
}

internal sealed record LaunchTokenPolicy(string[] AllowedScope, int MaxTtl, string[] AllowedAudience);

internal sealed record LaunchTokenResponse(string LaunchToken, string ExpiresAt, LaunchTokenPolicy Policy, bool SingleUse);
