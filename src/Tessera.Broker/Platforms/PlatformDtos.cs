namespace Tessera.Broker.Platforms;

internal sealed class RouteRuleDto
{
    public string? Method { get; set; }

    public string? Path { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Scope { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string?[]? Scopes { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Match { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? Public { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? Skip { get; set; }
}

internal sealed class CreatePlatformRequest
{
    public string? PlatformId { get; set; }

    public string? Name { get; set; }

    public string?[]? Hostnames { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string?[]? Scopes { get; set; }

    public RouteRuleDto?[]? Routes { get; set; }

    public string? TokenProfile { get; set; }
}

internal sealed class UpdatePlatformRequest
{
    public string? Name { get; set; }

    public string?[]? Hostnames { get; set; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string?[]? Scopes { get; set; }

    public RouteRuleDto?[]? Routes { get; set; }

    public string? TokenProfile { get; set; }
}

internal sealed record PlatformView(
    string PlatformId, string Name, string[] Hostnames, string[] Scopes, RouteRuleDto[] Routes, string TokenProfile,
    int Version, string Status, string ClientId, string CreatedAt, string UpdatedAt, string? PreviousSecretValidUntil);

internal sealed record PlatformCreatedResponse(
    string PlatformId, string Name, string[] Hostnames, string[] Scopes, RouteRuleDto[] Routes, string TokenProfile,
    int Version, string Status, string ClientId, string CreatedAt, string UpdatedAt, string ClientSecret);

internal sealed record PlatformListResponse(PlatformView[] Platforms, int Total);

internal sealed record PlatformRemovedResponse(string PlatformId, string Status, string RemovedAt);

internal sealed record PlatformSecretResponse(string PlatformId, string ClientId, string ClientSecret, string? PreviousSecretValidUntil);
