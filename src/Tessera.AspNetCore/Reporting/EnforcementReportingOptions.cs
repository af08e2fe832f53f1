namespace Tessera.AspNetCore.Reporting;

/// <summary>
/// Reporting of verification outcomes to the broker's audit (<c>POST /v1/enforcement/reports</c>).
/// Off unless both <see cref="ClientId"/> and <see cref="ClientSecret"/> are set. Bind from
/// configuration section <c>Tessera:Reporting</c>.
/// </summary>
public sealed class EnforcementReportingOptions
{
    /// <summary>Most events the broker accepts in one report.</summary>
    public const int MaxEventsPerReport = 1000;

    /// <summary>The platform's own client id (<c>tsr_kid_…</c>), issued with the platform. Empty: reporting is off.</summary>
    public string? ClientId { get; set; }

    /// <summary>The platform's own client secret (<c>tsr_sk_…</c>). Empty: reporting is off. Never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Where reports go. Default <c>{Authority}/v1/enforcement/reports</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>How often buffered outcomes are sent. Default 1 s; a full batch is sent at once.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most events in one report, 1 to <see cref="MaxEventsPerReport"/>. Default 500.</summary>
    public int MaxBatch { get; set; } = 500;

    /// <summary>
    /// Most events (after coalescing) waiting to be sent. Beyond it new outcomes are dropped and
    /// counted; a request never waits for room. Default 10,000.
    /// </summary>
    public int MaxBuffered { get; set; } = 10_000;

    /// <summary>Further attempts for a report the broker did not take (network error, 408, 429, 5xx) before it is dropped. Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Wait before the first retry; doubled for each further one, up to 30 s. Default 1 s.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Timeout of one report request. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long shutdown may spend sending what is still buffered. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when both credentials are set.</summary>
    public bool Enabled => !string.IsNullOrEmpty(ClientId) && !string.IsNullOrEmpty(ClientSecret);

    /// <summary>Throws for settings that cannot work; called by the scheme's options validation when enabled.</summary>
    internal void Validate(string? authority)
    {
        if (MaxBatch is < 1 or > MaxEventsPerReport)
        {
            throw new InvalidOperationException($"Tessera reporting: MaxBatch must be between 1 and {MaxEventsPerReport}");
        }

        if (MaxBuffered < 1 || MaxRetries < 0)
        {
            throw new InvalidOperationException("Tessera reporting: MaxBuffered must be positive and MaxRetries not negative");
        }

        if (FlushInterval <= TimeSpan.Zero || RetryBackoff < TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero || ShutdownTimeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException("Tessera reporting: FlushInterval and RequestTimeout must be positive, RetryBackoff and ShutdownTimeout not negative");
        }

        if (string.IsNullOrWhiteSpace(Endpoint) ? string.IsNullOrWhiteSpace(authority) : !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
        {
            throw new InvalidOperationException("Tessera reporting: Endpoint must be an absolute URL, or Authority must be set");
        }
    }

    /// <summary>The report URL: <see cref="Endpoint"/>, else under <paramref name="authority"/>.</summary>
    internal Uri ResolveEndpoint(string? authority) =>
        new(string.IsNullOrWhiteSpace(Endpoint) ? authority?.TrimEnd('/') + "/v1/enforcement/reports" : Endpoint);
}
