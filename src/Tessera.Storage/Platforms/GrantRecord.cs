namespace Tessera.Storage.Platforms;

/// <summary>The scopes an agent holds on one platform.</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="PlatformId">The platform.</param>
/// <param name="Scopes">Granted scopes.</param>
/// <param name="UpdatedAtMs">Last changed, Unix ms.</param>
public sealed record GrantRecord(string AgentId, string PlatformId, IReadOnlyList<string> Scopes, long UpdatedAtMs);
