using System.Text.Json;
using Tessera.Broker.Apps;
using Tessera.Broker.Http;
using Tessera.Storage.Agents;
using Tessera.Storage.Clients;
using Tessera.Storage.Platforms;

namespace Tessera.Broker.Credentials;

/// <summary>
/// How the admin agent endpoints and the inventory show an agent: a credential agent with its
/// grants, or an agent registered with a launch token.
/// </summary>
internal static class AgentViews
{
    /// <summary>The credential agent <paramref name="a"/> with its grants, as the admin endpoints answer it.</summary>
    public static async Task<AgentView> ViewAsync(IPlatformStore platforms, ClientRecord a, CancellationToken cancellationToken)
    {
        var grants = await platforms.ListGrantsAsync(a.EntityId, cancellationToken);
        return new AgentView(
            AgentInventoryKinds.Credential, a.EntityId, a.ClientId, a.Name, a.Owner, ReadMetadata(a.MetadataJson), a.Status, a.StatusReason, a.TokenTtl, Method(a), KeyIds(a.Jwks),
            [.. grants.Select(g => new GrantView(g.PlatformId, [.. g.Scopes], AppAdminEndpoints.Rfc3339(g.UpdatedAtMs)))],
            a.ConsecutiveDenials, AppAdminEndpoints.Rfc3339(a.CreatedAtMs), AppAdminEndpoints.Rfc3339(a.UpdatedAtMs),
            a.PreviousValidUntilMs is { } until ? AppAdminEndpoints.Rfc3339(until) : null);
    }

    /// <summary>The answer to creating <paramref name="view"/>'s agent: the view's fields plus the new secret (null for a key-only agent).</summary>
    public static AgentCreatedResponse Created(AgentView view, string? secret) =>
        new(view.AgentId, view.KeyId, secret, view.Name, view.Owner, view.Metadata, view.Status, view.TokenTtl, view.TokenEndpointAuthMethod, view.KeyIds, view.CreatedAt);

    /// <summary>An agent registered with a launch token.</summary>
    public static RegisteredAgentView Registered(AgentRecord a, long? lastSeenAtMs = null) =>
        new(
            AgentInventoryKinds.Registered, a.AgentId, null, a.AgentName, a.Status,
            a.AppId.Length == 0 ? null : a.AppId, a.OrchId, a.TaskId, [.. a.Scope], [.. a.Audience], a.MaxTtl,
            AppAdminEndpoints.Rfc3339(a.CreatedAtMs), lastSeenAtMs is { } seen ? AppAdminEndpoints.Rfc3339(seen) : null);

    /// <summary>
    /// When <paramref name="agentId"/> was last issued a token, from the inventory (one query: the
    /// inventory's search narrows to ids containing it, the exact one is kept).
    /// </summary>
    public static async Task<long?> LastSeenAsync(IAgentInventory inventory, string agentId, CancellationToken cancellationToken)
    {
        var page = await inventory.ListAsync(new AgentInventoryQuery { Kind = AgentInventoryKinds.Registered, Search = agentId, Limit = 500 }, cancellationToken);
        foreach (var entry in page.Agents)
        {
            if (string.Equals(entry.AgentId, agentId, StringComparison.Ordinal))
            {
                return entry.LastSeenAtMs;
            }
        }

        return null;
    }

    /// <summary>The <c>token_endpoint_auth_method</c> the agent can use.</summary>
    internal static string Method(ClientRecord a) =>
        a.SecretEnabled ? (a.Jwks.Length > 0 ? "client_secret+private_key_jwt" : "client_secret") : "private_key_jwt";

    /// <summary>The stored metadata; empty when it cannot be read.</summary>
    internal static Dictionary<string, string> ReadMetadata(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, BrokerJson.Default.DictionaryStringString) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The <c>kid</c> of each registered key, in order.</summary>
    internal static string[] KeyIds(string jwks)
    {
        if (jwks.Length == 0)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(jwks);
        return [.. doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }
}
