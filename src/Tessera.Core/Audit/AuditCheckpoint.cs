namespace Tessera.Audit;

/// <summary>A signed statement by the broker that the chain had <see cref="Hash"/> at <see cref="Sequence"/>.</summary>
/// <param name="Sequence">The event sequence the checkpoint covers (the head at signing time).</param>
/// <param name="Hash">That event's hash.</param>
/// <param name="KeyId">The signing key's kid.</param>
/// <param name="Algorithm">The JWS algorithm name.</param>
/// <param name="Signature">base64url signature over <see cref="SigningInput"/>.</param>
/// <param name="CreatedAtMs">When it was signed, Unix ms.</param>
public sealed record AuditCheckpoint(long Sequence, string Hash, string KeyId, string Algorithm, string Signature, long CreatedAtMs)
{
    /// <summary>The signed bytes: <c>tessera-audit-checkpoint-v1|seq|hash</c>.</summary>
    public static byte[] SigningInput(long sequence, string hash) =>
        System.Text.Encoding.UTF8.GetBytes(FormattableString.Invariant($"tessera-audit-checkpoint-v1|{sequence}|{hash}"));
}
