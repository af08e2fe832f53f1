using System.Net;
using System.Net.Http.Headers;

namespace Tessera.Client;

/// <summary>Options of <see cref="TesseraTokenHandler"/>.</summary>
public sealed class TesseraHandlerOptions
{
    /// <summary>
    /// The platform (audience) for every request of this client; null chooses it by the request's
    /// host from the agent's platform list.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>Allow attaching tokens to plain http:// requests to non-loopback hosts. Off by default.</summary>
    public bool AllowInsecureHttp { get; set; }
}

/// <summary>
/// Attaches the agent's token for the request's platform. On a 401 from the platform it gets a
/// fresh token and retries exactly once, and only when a retry is safe: an idempotent method
/// (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or a request carrying an <c>Idempotency-Key</c>.
/// Every other status is returned to the caller, never thrown.
/// </summary>
public sealed class TesseraTokenHandler : DelegatingHandler
{
    private readonly ITesseraTokenProvider _provider;
    private readonly TesseraHandlerOptions _options;

    /// <summary>Creates the handler over <paramref name="provider"/>.</summary>
    public TesseraTokenHandler(ITesseraTokenProvider provider, TesseraHandlerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _options = options ?? new TesseraHandlerOptions();
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new TesseraConfigurationException("the request has no absolute URI");
        BrokerConnection.EnsureTransportAllowed(uri, _options.AllowInsecureHttp, "platform");
        string audience = _options.Audience
            ?? await _provider.AudienceForHostAsync(uri.IdnHost.ToLowerInvariant(), cancellationToken).ConfigureAwait(false)
            ?? throw new TesseraConfigurationException($"none of this agent's platforms serves host '{uri.Host}': grant the agent on that platform, or set the audience explicitly");

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
