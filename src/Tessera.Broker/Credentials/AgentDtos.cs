using System.Text.Json;

namespace Tessera.Broker.Credentials;

internal sealed class CreateAgentRequest
{
    public string? Name { get; set; }

    public string? Owner { get; set; }

    public Dictionary<string, string?>? Metadata { get; set; }

    public int? TokenTtl { get; set; }

    public JsonElement? Jwks { get; set; }
}

internal sealed class UpdateAgentRequest
{
    public string? Owner { get; set; }

    public Dictionary<string, string?>? Metadata { get; set; }

    public int? TokenTtl { get; set; }

    public JsonElement? Jwks { get; set; }
}

internal sealed class GrantRequest
{
    public string? PlatformId { get; set; }

    public string?[]? Scopes { get; set; }
}

internal sealed class StatusChangeRequest
{
    public string? Reason { get; set; }
}

internal sealed record GrantView(string PlatformId, string[] Scopes, string UpdatedAt);

internal sealed record AgentView(
    string AgentId, string KeyId, string Name, string Owner, Dictionary<string, string> Metadata, string Status, string StatusReason,
    int TokenTtl, string TokenEndpointAuthMethod, string[] KeyIds, GrantView[] Grants, int ConsecutiveDenials,
    string CreatedAt, string UpdatedAt, string? PreviousSecretValidUntil);

internal sealed record AgentCreatedResponse(
    string AgentId, string KeyId, string? Secret, string Name, string Owner, Dictionary<string, string> Metadata, string Status,
    int TokenTtl, string TokenEndpointAuthMethod, string[] KeyIds, string CreatedAt);

internal sealed record AgentListResponse(AgentView[] Agents, int Total);

internal sealed record AgentSecretResponse(string AgentId, string KeyId, string Secret, string? PreviousSecretValidUntil);
