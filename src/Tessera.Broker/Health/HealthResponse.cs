namespace Tessera.Broker.Health;

internal sealed record HealthResponse(string Status, string Version, long Uptime, bool DbConnected, long AuditEventsCount);
