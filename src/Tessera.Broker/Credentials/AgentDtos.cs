using System.Text.Json;
using System.Text.Json.Serialization;

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
    string Kind, string AgentId, string KeyId, string Name, string Owner, Dictionary<string, string> Metadata, string Status, string StatusReason,
    int TokenTtl, string TokenEndpointAuthMethod, string[] KeyIds, GrantView[] Grants, int ConsecutiveDenials,
    string CreatedAt, string UpdatedAt, string? PreviousSecretValidUntil);

internal sealed record AgentCreatedResponse(
    string AgentId, string KeyId, string? Secret, string Name, string Owner, Dictionary<string, string> Metadata, string Status,
    int TokenTtl, string TokenEndpointAuthMethod, string[] KeyIds, string CreatedAt);

/// <summary>
/// One agent of the inventory. The credential-only members (owner to updated_at) are left out
/// for a registered agent. <c>last_seen_at</c> is when a token was last issued to the agent (null if
/// never since the broker began tracking it), written in batches every 15 s.
/// </summary>
internal sealed record AgentListItem(
    string Kind, string AgentId, string? KeyId, string Name, string Status, string? AppId, string? OrchId, string? TaskId,
    string CreatedAt, string? LastSeenAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Owner,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string>? Metadata,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StatusReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TokenTtl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TokenEndpointAuthMethod,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? KeyIds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] GrantView[]? Grants,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ConsecutiveDenials,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UpdatedAt,
    string? PreviousSecretValidUntil);

/// <summary>An agent registered with a launch token, as the admin endpoints show it.</summary>
internal sealed record RegisteredAgentView(
    string Kind, string AgentId, string? KeyId, string Name, string Status, string? AppId, string OrchId, string TaskId,
    string[] Scope, string[] Audience, int MaxTtl, string CreatedAt, string? LastSeenAt);

internal sealed record AgentListResponse(AgentListItem[] Agents, long Total, string? NextCursor);

internal sealed record AgentSecretResponse(string AgentId, string KeyId, string Secret, string? PreviousSecretValidUntil);
