using System.Security.Cryptography;
using System.Text;
using Tessera.Storage.Agents;
using Tessera.Storage.Audit;
using Tessera.Storage.Clients;
using Tessera.Storage.LaunchTokens;
using Tessera.Storage.Platforms;
using Tessera.Storage.Revocations;

namespace Tessera.Storage.Tests.Infrastructure;

/// <summary>Builders for store records. All times are relative to the fixed instant <see cref="Now"/>.</summary>
public static class TestData
{
    /// <summary>The fixed "current time" of the suites, Unix ms (2025-06-15).</summary>
    public const long Now = 1_750_000_000_000;

    public const long Minute = 60_000;

    public const long Hour = 60 * Minute;

    /// <summary>A lowercase hex SHA-256, as launch tokens are keyed.</summary>
    public static string TokenHash(string seed) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    public static LaunchTokenRecord LaunchToken(string seed, bool singleUse = true, long expiresAtMs = Now + Hour) => new()
    {
        TokenHash = TokenHash(seed),
        AgentName = "agent-" + seed,
        AllowedScope = ["read:data:*", "write:reports:q3"],
        AllowedAudience = ["https://api.example.test"],
        MaxTtl = 900,
        SingleUse = singleUse,
        CreatedBy = "admin",
        CreatedAtMs = Now - Minute,
        ExpiresAtMs = expiresAtMs,
    };

    public static AgentRecord Agent(string agentId, string launchTokenHash) => new()
    {
        AgentId = agentId,
        OrchId = "orch-1",
        TaskId = "task-1",
        AgentName = "analyst",
        PublicKey = PublicKeyFor(agentId),
        LaunchTokenHash = launchTokenHash,
        Scope = ["read:data:customers"],
        Audience = ["https://api.example.test"],
        MaxTtl = 900,
        CreatedAtMs = Now,
    };

    /// <summary>A deterministic 32-byte "public key" per agent id.</summary>
    public static byte[] PublicKeyFor(string agentId) => SHA256.HashData(Encoding.UTF8.GetBytes("key:" + agentId));

    public static string AgentId(int n) => $"spiffe://tessera.test/agent/orch-1/task-1/{n:D4}";

    public static RevocationRecord Revocation(string level, string target, long expiresAtMs, string reason = "released") => new()
    {
        Level = level,
        Target = target,
        Reason = reason,
        RevokedAtMs = Now,
        ExpiresAtMs = expiresAtMs,
    };

    public static AuditEventDraft Draft(string detail, long timestampMs = Now) => new()
    {
        TimestampMs = timestampMs,
        EventType = "token_issued",
        AgentId = "spiffe://tessera.test/agent/a",
        TaskId = "task-1",
        OrchId = "orch-1",
        Detail = detail,
        Resource = "https://api.example.test",
        Outcome = "success",
        DelegDepth = 0,
        DelegChainHash = "",
    };

    public static AuditEventDraft[] Drafts(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Draft($"{prefix}/item-{i:D2}", Now + i))];

    public static PlatformRecord Platform(string platformId, long createdAtMs = Now) => new()
    {
        PlatformId = platformId,
        Name = "Platform " + platformId,
        Hostnames = [new Uri(platformId).Host, "api2." + new Uri(platformId).Host],
        Scopes = ["read:data:*", "write:reports:*"],
        RoutesJson = """[{"method":"GET","path":"/v1/data/**","scope":"read:data:*"}]""",
        TokenProfile = "tessera",
        Version = 1,
        CreatedAtMs = createdAtMs,
        UpdatedAtMs = createdAtMs,
    };

    /// <summary>A platform id (its audience), e.g. <c>https://p01.example.test</c>.</summary>
    public static string PlatformId(int n) => $"https://p{n:D2}.example.test";

    public static GrantRecord Grant(string agentId, string platformId, string[]? scopes = null, long updatedAtMs = Now) =>
        new(agentId, platformId, scopes ?? ["read:data:*"], updatedAtMs);

    /// <summary>A credentialed client whose ids and name derive from <paramref name="seed"/>.</summary>
    public static ClientRecord Client(string seed, string kind = "agent", string status = "active", long createdAtMs = Now) => new()
    {
        ClientId = "tsr_kid_" + TokenHash("client:" + seed)[..32],
        Kind = kind,
        EntityId = kind == "agent" ? "spiffe://tessera.test/agent/" + seed : kind + "-" + seed,
        Name = kind + "-" + seed,
        SecretHash = SHA256.HashData(Encoding.UTF8.GetBytes("secret:" + seed)),
        Scopes = ["read:data:*"],
        TokenTtl = 900,
        Status = status,
        CreatedAtMs = createdAtMs,
        UpdatedAtMs = createdAtMs,
    };
}
