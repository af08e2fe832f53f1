using System.Text.Json;

namespace Tessera.Client;

/// <summary>
/// Where a credential agent exchanges its secret for tokens: the <c>token_endpoint</c> of the
/// broker's metadata (<c>GET /.well-known/tessera-configuration</c>), found on first use and kept,
/// or <c>{broker}/v1/token</c> when the broker serves no metadata (404). A failed lookup is not
/// kept: the next mint asks again.
/// </summary>
internal sealed class TokenEndpoint : IDisposable
{
    /// <summary>The metadata path, relative to the broker's base URL.</summary>
    public const string MetadataPath = ".well-known/tessera-configuration";

    private readonly BrokerConnection _broker;
    private readonly bool _allowInsecureHttp;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Uri? _found;

    public TokenEndpoint(BrokerConnection broker, bool allowInsecureHttp)
    {
        _broker = broker;
        _allowInsecureHttp = allowInsecureHttp;
    }

    /// <summary>The token endpoint, from the cache after the first successful lookup.</summary>
    public async ValueTask<Uri> GetAsync(CancellationToken cancellationToken)
    {
        if (_found is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _found ??= await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        JsonDocument metadata;
        try
        {
            metadata = await _broker.SendAsync(HttpMethod.Get, MetadataPath, null, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (TesseraException ex) when (ex.Status == 404)
        {
            // A broker (or a gateway in front of it) without the metadata document: the usual path.
            return Fallback(_broker.BaseAddress);
        }

        using (metadata)
        {
            return Resolve(metadata.RootElement, _broker.BaseAddress, _allowInsecureHttp);
        }
    }

    /// <summary>The default when the metadata names no token endpoint: <c>v1/token</c> under the broker's base URL.</summary>
    public static Uri Fallback(Uri brokerBase) => new(brokerBase, "v1/token");

    /// <summary>
    /// Reads <c>token_endpoint</c> from the metadata. The secret goes only to the broker's own
    /// origin (scheme, host, port): an endpoint there is used as it is; one under the metadata's
    /// <c>issuer</c> (the broker's public name, which may differ from the URL this agent reaches it
    /// by, such as an internal address or a test port) is taken as the same path under the
    /// broker's URL; any other origin is refused rather than trusted with the secret.
    /// </summary>
    /// <exception cref="TesseraConfigurationException">The endpoint is not an absolute http(s) URL, lies on another origin, or breaks the plain-http rule.</exception>
    public static Uri Resolve(JsonElement metadata, Uri brokerBase, bool allowInsecureHttp)
    {
        if (metadata.ValueKind != JsonValueKind.Object ||
            !metadata.TryGetProperty("token_endpoint", out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            return Fallback(brokerBase);
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp) ||
            endpoint.UserInfo.Length > 0 || endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
        {
            throw new TesseraConfigurationException("the broker's metadata names a token_endpoint that is not a plain absolute http(s) URL; check the broker's issuer setting", "invalid_token_endpoint");
        }

        Uri chosen;
        if (Origins.Of(endpoint) == Origins.Of(brokerBase))
        {
            chosen = endpoint;
        }
        else if (metadata.TryGetProperty("issuer", out var issuerValue) && issuerValue.ValueKind == JsonValueKind.String &&
            issuerValue.GetString() is { Length: > 0 } issuer &&
            endpoint.AbsoluteUri.StartsWith(issuer.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase))
        {
            chosen = new Uri(brokerBase, endpoint.AbsoluteUri[(issuer.TrimEnd('/').Length + 1)..]);
        }
        else
        {
            chosen = endpoint;
        }

        // Also catches a path under the issuer that resolves as a network-path reference (//host).
        if (Origins.Of(chosen) != Origins.Of(brokerBase))
        {
            throw new TesseraConfigurationException(
                $"the broker's metadata names a token endpoint on {Origins.Of(endpoint)}, not on the broker ({Origins.Of(brokerBase)}) nor under its issuer; the agent's secret goes only to the broker: set BrokerUrl (TESSERA_BROKER) to the broker's URL, or fix the broker's issuer setting",
                "token_endpoint_elsewhere");
        }

        BrokerConnection.EnsureTransportAllowed(chosen, allowInsecureHttp, "token endpoint");
        return chosen;
    }
}
