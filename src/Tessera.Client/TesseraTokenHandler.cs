using System.Net;
using System.Net.Http.Headers;

namespace Tessera.Client;

/// <summary>Options of <see cref="TesseraTokenHandler"/>.</summary>
public sealed class TesseraHandlerOptions
{
    /// <summary>
    /// The platform (audience) for every request of this client; null chooses it by the request's
    /// origin from the agent's platforms. Setting it does not widen where the token goes: the
    /// request's origin must still be one of <see cref="AllowedOrigins"/> or an origin the provider
    /// knows for this platform.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Origins (scheme, host and port; a path is ignored) this client may send the agent's token to,
    /// besides those the provider knows for its platforms: a credential agent knows its platforms'
    /// registered host names (on https port 443 or http port 80); a registered agent and a
    /// delegated token know none, so their clients list their platforms here, for example the
    /// client's <see cref="HttpClient.BaseAddress"/>. A request to any other origin is refused with
    /// a <see cref="TesseraConfigurationException"/> (code <c>origin_not_allowed</c>) before
    /// anything is sent. Read when the handler is created.
    /// </summary>
    public IList<Uri> AllowedOrigins { get; } = [];

    /// <summary>Allow attaching tokens to plain http:// requests to non-loopback hosts. Off by default.</summary>
    public bool AllowInsecureHttp { get; set; }
}

/// <summary>
/// Attaches the agent's token for the request's platform, and only to an origin (scheme, host,
/// port) of that platform: a request elsewhere is refused before it is sent. On a 401 from the
/// platform it gets a fresh token and retries exactly once, and only when a retry is safe: an
/// idempotent method (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or a request carrying an
/// <c>Idempotency-Key</c>. A 401 from anywhere else (a redirect the inner handler followed) is
/// returned without touching the token. Every other status is returned to the caller, never thrown.
/// </summary>
public sealed class TesseraTokenHandler : DelegatingHandler
{
    private readonly ITesseraTokenProvider _provider;
    private readonly TesseraHandlerOptions _options;
    private readonly HashSet<string> _allowedOrigins = new(StringComparer.Ordinal);

    /// <summary>Creates the handler over <paramref name="provider"/>.</summary>
    /// <exception cref="TesseraConfigurationException">An entry of <see cref="TesseraHandlerOptions.AllowedOrigins"/> is not an absolute http(s) URL, or carries user information.</exception>
    public TesseraTokenHandler(ITesseraTokenProvider provider, TesseraHandlerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _options = options ?? new TesseraHandlerOptions();
        foreach (var allowed in _options.AllowedOrigins)
        {
            _allowedOrigins.Add(Origins.OfAllowed(allowed));
        }
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri is { IsAbsoluteUri: true } absolute ? absolute : throw new TesseraConfigurationException("the request has no absolute URI");
        BrokerConnection.EnsureTransportAllowed(uri, _options.AllowInsecureHttp, "platform");
        string origin = Origins.Of(uri);
        string audience = await AudienceAsync(origin, cancellationToken).ConfigureAwait(false);

        bool retryable = IsIdempotent(request.Method) || request.Headers.Contains("Idempotency-Key");
        if (retryable && request.Content is not null)
        {
            // The body has to be sendable twice.
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        string token = await _provider.GetTokenAsync(audience, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // A redirect followed below this handler ends elsewhere (without the token: the inner
        // handler drops Authorization): that host's 401 says nothing about the token, and renewing
        // on it would let any host revoke the token in use everywhere else.
        if ((response.RequestMessage?.RequestUri ?? request.RequestUri) is not { IsAbsoluteUri: true } answered || Origins.Of(answered) != origin)
        {
            return response;
        }

        if (!retryable)
        {
            // Not replayed, but the refused token is not used again: the next call gets a fresh one.
            _ = ReplaceInBackground(audience, token);
            return response;
        }

        response.Dispose();
        string fresh = await _provider.RefreshAsync(audience, token, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The audience whose token may go to <paramref name="origin"/>: the configured one when the
    /// application listed the origin, else what the provider knows of its platforms' origins.
    /// </summary>
    private async ValueTask<string> AudienceAsync(string origin, CancellationToken cancellationToken)
    {
        bool listed = _allowedOrigins.Contains(origin);
        string? configured = _options.Audience;
        if (listed && configured is not null)
        {
            return configured;
        }

        string? served = await _provider.AudienceForOriginAsync(new Uri(origin), listed, cancellationToken).ConfigureAwait(false);
        if (served is not null && (configured is null || listed || string.Equals(served, configured, StringComparison.Ordinal)))
        {
            return configured ?? served;
        }

        throw new TesseraConfigurationException(RefusalMessage(origin, listed, configured, served), "origin_not_allowed");
    }

    /// <summary>Why <paramref name="origin"/> gets no token, and what would fix it: the option to set and the platform host names the agent knows.</summary>
    private string RefusalMessage(string origin, bool listed, string? configured, string? served)
    {
        string known = _provider is TesseraCredentialAgent agent ? agent.DescribeKnownHostNames() : "";
        string knownText = known.Length == 0 ? "" : $" This agent's platforms and their host names (each stands for https on 443 and http on 80): {known}.";
        string why;
        string fix;
        if (served is not null && configured is not null)
        {
            why = $"it is an origin of platform '{served}', not of platform '{configured}' (TesseraHandlerOptions.Audience)";
            fix = $"Use a client for platform '{served}', or add {origin} to TesseraHandlerOptions.AllowedOrigins if platform '{configured}' serves it too.";
        }
        else if (listed)
        {
            why = "it is in TesseraHandlerOptions.AllowedOrigins, but no platform of this agent has its host name";
            fix = "Set TesseraHandlerOptions.Audience to the platform id that serves it, or add the host name to that platform's hostnames at the broker.";
        }
        else
        {
            string whose = configured is null ? "this agent's platforms" : $"platform '{configured}'";
            why = $"it is not an origin of {whose} (scheme, host and port must match)";
            fix = $"If a platform of this agent serves it, add {origin} to TesseraHandlerOptions.AllowedOrigins (the platform is then the one registered with that host name, or the one named by TesseraHandlerOptions.Audience); a platform on its default port can instead list the host name in its hostnames at the broker.";
        }

        return $"refusing to send a token to {origin}: {why}. {fix}{knownText} Call other hosts with a client without the Tessera handler.";
    }

    private async Task ReplaceInBackground(string audience, string token)
    {
        try
        {
            await _provider.RefreshAsync(audience, token, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nobody awaits this: the failure surfaces on the next call that needs a token.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options ||
        method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Trace;
}
