using System.Collections.Concurrent;
using Prometheus;

namespace Tessera.Broker.Metrics;

/// <summary>
/// The broker's Prometheus metrics (prefix <c>tessera_</c>), on a registry of its own so two
/// brokers in one process (tests) never share counters.
/// </summary>
public sealed class BrokerMetrics
{
    private const int MaxScopeLabels = 500;
    private readonly ConcurrentDictionary<string, byte> _scopeLabels = new(StringComparer.Ordinal);

    /// <summary>Creates the metric set.</summary>
    public BrokerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        TokensIssued = factory.CreateCounter("tessera_tokens_issued_total", "Tokens issued, by first scope.", "scope");
        TokensRevoked = factory.CreateCounter("tessera_tokens_revoked_total", "Revocations, by level (token, agent, task, chain, release, renew).", "level");
        Registrations = factory.CreateCounter("tessera_registrations_total", "Agent registrations, by status.", "status");
        AdminAuth = factory.CreateCounter("tessera_admin_auth_total", "Admin authentication attempts, by status.", "status");
        LaunchTokensCreated = factory.CreateCounter("tessera_launch_tokens_created_total", "Launch tokens created.");
        ClockSkew = factory.CreateCounter("tessera_clock_skew_total", "Tokens presented before their nbf (clock skew between broker and client).");
        AuditEvents = factory.CreateCounter("tessera_audit_events_total", "Audit events recorded, by type.", "event_type");
        DbErrors = factory.CreateCounter("tessera_db_errors_total", "Storage failures, by operation.", "operation");
        ActiveAgents = factory.CreateGauge("tessera_active_agents", "Registered agents.");
        AuditEventsLoaded = factory.CreateGauge("tessera_audit_events_loaded", "Audit events in the chain at start-up.");
        RequestDuration = factory.CreateHistogram("tessera_request_duration_seconds", "Request duration, by endpoint.", new HistogramConfiguration
        {
            LabelNames = ["endpoint"],
            Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        });
        AuditWriteDuration = factory.CreateHistogram("tessera_audit_write_duration_seconds", "Time to make one audit batch durable.", new HistogramConfiguration
        {
            Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        });
        RevocationFeedSubscribers = factory.CreateGauge("tessera_revocation_feed_subscribers", "Open revocation stream connections.");
    }

    /// <summary>The registry the metrics live in.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary><c>tessera_tokens_issued_total{scope}</c>.</summary>
    public Counter TokensIssued { get; }

    /// <summary><c>tessera_tokens_revoked_total{level}</c>.</summary>
    public Counter TokensRevoked { get; }

    /// <summary><c>tessera_registrations_total{status}</c>.</summary>
    public Counter Registrations { get; }

    /// <summary><c>tessera_admin_auth_total{status}</c>.</summary>
    public Counter AdminAuth { get; }

    /// <summary><c>tessera_launch_tokens_created_total</c>.</summary>
    public Counter LaunchTokensCreated { get; }

    /// <summary><c>tessera_clock_skew_total</c>.</summary>
    public Counter ClockSkew { get; }

    /// <summary><c>tessera_audit_events_total{event_type}</c>.</summary>
    public Counter AuditEvents { get; }

    /// <summary><c>tessera_db_errors_total{operation}</c>.</summary>
    public Counter DbErrors { get; }

    /// <summary><c>tessera_active_agents</c>.</summary>
    public Gauge ActiveAgents { get; }

    /// <summary><c>tessera_audit_events_loaded</c>.</summary>
    public Gauge AuditEventsLoaded { get; }

    /// <summary><c>tessera_request_duration_seconds{endpoint}</c>.</summary>
    public Histogram RequestDuration { get; }

    /// <summary><c>tessera_audit_write_duration_seconds</c>.</summary>
    public Histogram AuditWriteDuration { get; }

    /// <summary><c>tessera_revocation_feed_subscribers</c>.</summary>
    public Gauge RevocationFeedSubscribers { get; }

    /// <summary>Counts an issued token under its first scope; past 500 distinct values the label is <c>other</c>, so identifiers in scopes cannot explode the series count.</summary>
    public void TokenIssued(IReadOnlyList<string> scope)
    {
        string label = scope.Count == 0 ? "none" : scope[0];
        if (!_scopeLabels.ContainsKey(label))
        {
            label = _scopeLabels.Count < MaxScopeLabels && _scopeLabels.TryAdd(label, 0) ? label : "other";
        }

        TokensIssued.WithLabels(label).Inc();
    }
}
