using System.Net.Http.Headers;
using System.Text;

namespace Tessera.Client;

/// <summary>Options of <see cref="TesseraCredentialAgent"/>.</summary>
public sealed class TesseraCredentialOptions
{
    /// <summary>The broker's base URL (default: <c>TESSERA_BROKER</c>).</summary>
    public Uri? BrokerUrl { get; set; }

    /// <summary>The agent's key id, <c>tsr_kid_…</c> (default: <c>TESSERA_AGENT_KEY_ID</c>).</summary>
    public string? KeyId { get; set; }

    /// <summary>The agent's secret, <c>tsr_sk_…</c> (default: <c>TESSERA_AGENT_SECRET</c>). Sent only to the broker.</summary>
    public string? Secret { get; set; }

    /// <summary>Scopes to request per platform; empty asks for the agent's whole grant there.</summary>
    public IReadOnlyList<string> Scopes { get; set; } = [];

    /// <summary>Allow plain http:// to a non-loopback broker. Off by default (platform calls have <see cref="TesseraHandlerOptions.AllowInsecureHttp"/>).</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>A handler for broker calls (tests, proxies). It must not follow redirects.</summary>
    public HttpMessageHandler? BrokerHandler { get; set; }

    /// <summary>Broker call timeout (default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock (tests).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Fills unset values from <c>TESSERA_BROKER</c>, <c>TESSERA_AGENT_KEY_ID</c> and <c>TESSERA_AGENT_SECRET</c>.</summary>
    public TesseraCredentialOptions FromEnvironment()
    {
        if (BrokerUrl is null && Environment.GetEnvironmentVariable("TESSERA_BROKER") is { Length: > 0 } broker)
        {
            BrokerUrl = Uri.TryCreate(broker, UriKind.Absolute, out var url) ? url : throw new TesseraConfigurationException("TESSERA_BROKER is not an absolute URL");
        }

        KeyId ??= Environment.GetEnvironmentVariable("TESSERA_AGENT_KEY_ID");
        Secret ??= Environment.GetEnvironmentVariable("TESSERA_AGENT_SECRET");
        return this;
    }
}

/// <summary>
/// An agent with standing credentials (key id + secret). Tokens are minted per platform on first
/// use by the credential exchange (<c>POST /v1/token</c>), cached, and refreshed in the
/// background ahead of expiry; the platform for a request is found by host from the broker's
/// list of the agent's platforms. The secret is only ever sent to the broker.
/// </summary>
public sealed class TesseraCredentialAgent : ITesseraTokenProvider, IDisposable
{
    private static readonly TimeSpan PlatformListMinAge = TimeSpan.FromSeconds(30);
    private readonly BrokerConnection _broker;
    private readonly TokenManager _tokens;
    private readonly TesseraCredentialOptions _options;
    private readonly SemaphoreSlim _platformsGate = new(1, 1);
    private volatile IReadOnlyDictionary<string, string>? _hosts;
    private DateTimeOffset _hostsLoadedAt;

    /// <summary>Creates the agent; no call is made until a token is needed.</summary>
    public TesseraCredentialAgent(TesseraCredentialOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (options.BrokerUrl is null || string.IsNullOrEmpty(options.KeyId) || string.IsNullOrEmpty(options.Secret))
        {
            throw new TesseraConfigurationException("BrokerUrl, KeyId and Secret are required (or TESSERA_BROKER, TESSERA_AGENT_KEY_ID, TESSERA_AGENT_SECRET)");
        }

        _broker = new BrokerConnection(options.BrokerUrl, options.AllowInsecureHttp, options.BrokerHandler, options.Timeout);
        _tokens = new TokenManager(MintAsync, mintRevokesPrevious: false, options.TimeProvider);
    }

    /// <summary>The key id.</summary>
    public string KeyId => _options.KeyId!;

    /// <summary>Number of exchanges made so far (diagnostics).</summary>
    public int TokensMinted => _tokens.Mints;

    /// <inheritdoc />
    public ValueTask<string> GetTokenAsync(string audience, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        return _tokens.GetAsync(audience, cancellationToken);
    }

    /// <inheritdoc />
    public Task<string> RefreshAsync(string audience, string rejected, CancellationToken cancellationToken) => _tokens.RefreshAsync(audience, rejected, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Hosts are matched lower-case without port; the list is reloaded (at most every 30 s) when a host is unknown.</remarks>
    public async ValueTask<string?> AudienceForHostAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        string key = host.ToLowerInvariant();
        if (_hosts is { } hosts && hosts.TryGetValue(key, out string? known))
        {
            return known;
        }

        await _platformsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _options.TimeProvider.GetUtcNow();
            if (_hosts is null || now - _hostsLoadedAt >= PlatformListMinAge)
            {
                _hosts = await LoadPlatformsAsync(cancellationToken).ConfigureAwait(false);
                _hostsLoadedAt = now;
            }

            return _hosts.TryGetValue(key, out string? found) ? found : null;
        }
        finally
        {
            _platformsGate.Release();
        }
    }

    /// <summary>The agent's platforms and their host names, as the broker lists them.</summary>
    public async Task<IReadOnlyDictionary<string, string>> LoadPlatformsAsync(CancellationToken cancellationToken = default)
    {
        var content = BrokerConnection.Json(w =>
        {
            w.WriteString("key_id", _options.KeyId);
            w.WriteString("secret", _options.Secret);
        });
        using var answer = await _broker.SendAsync(HttpMethod.Post, "v1/platforms/me", content, null, null, cancellationToken).ConfigureAwait(false);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var platform in answer.RootElement.GetProperty("platforms").EnumerateArray())
        {
            string id = platform.GetProperty("platform_id").GetString()!;
            foreach (var host in platform.GetProperty("hostnames").EnumerateArray())
            {
                map.TryAdd(host.GetString()!.ToLowerInvariant(), id);
            }
        }

        return map;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _broker.Dispose();
        _platformsGate.Dispose();
    }

    private async Task<IssuedToken> MintAsync(string audience, IssuedToken? current, CancellationToken cancellationToken)
    {
        var form = new StringBuilder("grant_type=client_credentials&resource=").Append(Uri.EscapeDataString(audience));
        if (_options.Scopes.Count > 0)
        {
            form.Append("&scope=").Append(Uri.EscapeDataString(string.Join(' ', _options.Scopes)));
        }

        var content = new StringContent(form.ToString(), Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var now = _options.TimeProvider.GetUtcNow();
        using var answer = await _broker.SendAsync(HttpMethod.Post, "v1/token", content, null, BrokerConnection.Basic(_options.KeyId!, _options.Secret!), cancellationToken).ConfigureAwait(false);
        return TesseraAgent.ReadToken(answer.RootElement, now);
    }
}
