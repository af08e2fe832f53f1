namespace Tessera.Broker.Revocation;

internal sealed class RevokeRequest
{
    public string? Level { get; set; }

    public string? Target { get; set; }

    public string? Reason { get; set; }
}

internal sealed record RevokeResponse(bool Revoked, string Level, string Target, int Count, long Sequence);
