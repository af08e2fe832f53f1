namespace Tessera.Broker.Apps;

internal sealed class CreateAppRequest
{
    public string? Name { get; set; }

    public string?[]? Scopes { get; set; }

    public int? TokenTtl { get; set; }
}

internal sealed class UpdateAppRequest
{
    public string?[]? Scopes { get; set; }

    public int? TokenTtl { get; set; }
}

internal sealed class RotateSecretRequest
{
    public int? GraceSeconds { get; set; }
}

internal sealed class AppAuthRequest
{
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}

internal sealed record AppCreatedResponse(string AppId, string Name, string ClientId, string ClientSecret, string[] Scopes, int TokenTtl, string Status);

internal sealed record AppView(string AppId, string Name, string ClientId, string[] Scopes, int TokenTtl, string Status, string CreatedAt, string UpdatedAt, string? PreviousSecretValidUntil);

internal sealed record AppListResponse(AppView[] Apps, int Total);

internal sealed record AppSecretResponse(string AppId, string ClientId, string ClientSecret, string? PreviousSecretValidUntil);

internal sealed record AppDeregisteredResponse(string AppId, string Status, string DeregisteredAt);

internal sealed record AppAuthResponse(string AccessToken, int ExpiresIn, string TokenType, string[] Scopes);
