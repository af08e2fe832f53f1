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
/// background ahead of expiry; the platform for a request is found by origin from the broker's
/// list of the agent's platforms, and a request to any other origin gets no token. The secret is
/// only ever sent to the broker, in the <c>Authorization</c> header.
/// </summary>
public sealed class TesseraCredentialAgent : ITesseraTokenProvider, IDisposable
{
    private static readonly TimeSpan PlatformListMinAge = TimeSpan.FromSeconds(30);
    private readonly BrokerConnection _broker;
    private readonly TokenEndpoint _tokenEndpoint;
    private readonly TokenManager _tokens;
    private readonly TesseraCredentialOptions _options;
    private readonly SemaphoreSlim _platformsGate = new(1, 1);
    private volatile PlatformMap? _platforms;
    private DateTimeOffset _platformsLoadedAt;

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
        _tokenEndpoint = new TokenEndpoint(_broker, options.AllowInsecureHttp);
        _tokens = new TokenManager(MintAsync, mintRevokesPrevious: false, options.TimeProvider);
    }

    /// <summary>The key id.</summary>
    public string KeyId => _options.KeyId!;

    /// <summary>
    /// The broker's token endpoint: <c>token_endpoint</c> from its metadata
    /// (<c>GET /.well-known/tessera-configuration</c>), looked up once and kept, or
    /// <c>{BrokerUrl}/v1/token</c> when the broker serves no metadata. An endpoint named under the
    /// broker's <c>issuer</c> is reached at the same path under <see cref="TesseraCredentialOptions.BrokerUrl"/>;
    /// one on any other origin is refused (<c>token_endpoint_elsewhere</c>): the secret goes only to the broker.
    /// </summary>
    /// <exception cref="TesseraException">The broker could not be asked (the lookup is tried again on the next call).</exception>
    /// <exception cref="TesseraConfigurationException">The metadata names an unusable or foreign token endpoint.</exception>
    public async Task<Uri> GetTokenEndpointAsync(CancellationToken cancellationToken = default) =>
        await _tokenEndpoint.GetAsync(cancellationToken).ConfigureAwait(false);

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
    /// <remarks>
    /// A platform's host names, as the broker lists them (no scheme, no port), stand for
    /// <c>https://host:443</c> and <c>http://host:80</c>; another port is that platform's only when
    /// the application listed the origin (<paramref name="listed"/>). The list is reloaded (at most
    /// every 30 s) when an origin is unknown.
    /// </remarks>
    public async ValueTask<string?> AudienceForOriginAsync(Uri origin, bool listed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(origin);
        string key = Origins.Of(origin);
        string host = origin.IdnHost.ToLowerInvariant();
        if (_platforms is { } known && known.Find(key, host, listed) is { } found)
        {
            return found;
        }

        await _platformsGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _options.TimeProvider.GetUtcNow();
            if (_platforms is null || now - _platformsLoadedAt >= PlatformListMinAge)
            {
                _platforms = new PlatformMap(await LoadPlatformsAsync(cancellationToken).ConfigureAwait(false));
                _platformsLoadedAt = now;
            }

            return _platforms.Find(key, host, listed);
        }
        finally
        {
            _platformsGate.Release();
        }
    }

    /// <summary>The platforms and host names last loaded from the broker, for error messages: <c>orders-api (127.0.0.1, localhost)</c>; empty before the first load.</summary>
    internal string DescribeKnownHostNames() => _platforms?.Describe() ?? "";

    /// <summary>
    /// The agent's platforms by host name, as the broker lists them (<c>POST /v1/platforms/me</c>,
    /// authenticated with the key id and secret in the <c>Authorization</c> header).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> LoadPlatformsAsync(CancellationToken cancellationToken = default)
    {
        using var answer = await _broker.SendAsync(HttpMethod.Post, "v1/platforms/me", null, null, BrokerConnection.Basic(_options.KeyId!, _options.Secret!), cancellationToken).ConfigureAwait(false);
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
        _tokenEndpoint.Dispose();
        _platformsGate.Dispose();
    }

    private async Task<IssuedToken> MintAsync(string audience, IssuedToken? current, CancellationToken cancellationToken)
    {
        var endpoint = await _tokenEndpoint.GetAsync(cancellationToken).ConfigureAwait(false);
        var form = new StringBuilder("grant_type=client_credentials&resource=").Append(Uri.EscapeDataString(audience));
        if (_options.Scopes.Count > 0)
        {
            form.Append("&scope=").Append(Uri.EscapeDataString(string.Join(' ', _options.Scopes)));
        }

        var content = new StringContent(form.ToString(), Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var now = _options.TimeProvider.GetUtcNow();
        using var answer = await _broker.SendAsync(HttpMethod.Post, endpoint.AbsoluteUri, content, null, BrokerConnection.Basic(_options.KeyId!, _options.Secret!), cancellationToken).ConfigureAwait(false);
        return TesseraAgent.ReadToken(answer.RootElement, now);
    }
}

/// <summary>The agent's platforms by origin (registered host names on their default ports) and by bare host name.</summary>
internal sealed class PlatformMap
{
    private readonly Dictionary<string, string> _byOrigin = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _byHost;

    public PlatformMap(IReadOnlyDictionary<string, string> byHost)
    {
        _byHost = byHost;
        foreach (var (host, platform) in byHost)
        {
            foreach (string origin in Origins.OfHostName(host))
            {
                _byOrigin.TryAdd(origin, platform);
            }
        }
    }

    /// <summary>Each platform with its host names, such as <c>orders-api (127.0.0.1, localhost)</c>, or <c>none</c>.</summary>
    public string Describe()
    {
        var lines = _byHost.GroupBy(p => p.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(p => p.Key).Order(StringComparer.Ordinal))})");
        string text = string.Join("; ", lines);
        return text.Length == 0 ? "none" : text;
    }

    /// <summary>The platform served at <paramref name="origin"/>; by host name alone only for an origin the application listed.</summary>
    public string? Find(string origin, string host, bool listed) =>
        _byOrigin.TryGetValue(origin, out string? platform) ? platform
        : listed && _byHost.TryGetValue(host, out string? named) ? named
        : null;
}
