using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tessera.Client;

/// <summary>
/// The SDK's only way to the broker: redirects are never followed (a body carrying a secret must
/// not be replayed elsewhere), plain <c>http://</c> is refused except to loopback unless allowed,
/// and every non-2xx answer becomes a <see cref="TesseraException"/> with the broker's details.
/// </summary>
internal sealed class BrokerConnection : IDisposable
{
    private static readonly string[] RevokedCodes = ["agent_revoked", "agent_suspended", "secret_expired"];
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    public BrokerConnection(Uri brokerUrl, bool allowInsecureHttp, HttpMessageHandler? handler, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(brokerUrl);
        EnsureNoCredentials(brokerUrl);
        EnsureTransportAllowed(brokerUrl, allowInsecureHttp, "broker");
        BaseAddress = new Uri(brokerUrl.AbsoluteUri.TrimEnd('/') + "/");
        if (handler is null)
        {
            handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            _ownsClient = true;
        }
        else
        {
            EnsureNoAutoRedirect(handler);
        }

        _http = new HttpClient(handler, disposeHandler: _ownsClient) { BaseAddress = BaseAddress, Timeout = timeout };
    }

    public Uri BaseAddress { get; }

    /// <summary>
    /// Refuses a broker URL carrying user information (<c>https://user:password@broker</c>) or a
    /// query: credentials never belong in a URL, where they end up in error messages, logs and
    /// proxies. The message names neither, so the refusal itself leaks nothing.
    /// </summary>
    private static void EnsureNoCredentials(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            throw new TesseraConfigurationException("the broker URL must be absolute, such as https://broker.example.com");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new TesseraConfigurationException(
                $"the broker URL for {url.Host} carries user information (user:password@): credentials never belong in a URL; remove it (the agent authenticates with its launch token, or its key id and secret)",
                "broker_url_has_credentials");
        }

        if (url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new TesseraConfigurationException($"the broker URL for {url.Host} has a query or fragment; give scheme, host, port and path only", "broker_url_has_credentials");
        }
    }

    /// <summary>Refuses plain HTTP to anything but a loopback host unless explicitly allowed.</summary>
    public static void EnsureTransportAllowed(Uri url, bool allowInsecureHttp, string what)
    {
        if (url.Scheme == Uri.UriSchemeHttps)
        {
            return;
        }

        if (url.Scheme != Uri.UriSchemeHttp)
        {
            throw new TesseraConfigurationException($"the {what} URL must be http(s): {url.Scheme}");
        }

        if (!allowInsecureHttp && !url.IsLoopback)
        {
            throw new TesseraConfigurationException($"refusing plain http:// to {url.Host}: use https, or set AllowInsecureHttp for a trusted network");
        }
    }

    /// <summary>
    /// Refuses a caller's handler chain that would follow redirects: the handlers that follow
    /// them by default (<see cref="SocketsHttpHandler"/>, <see cref="HttpClientHandler"/>) must have
    /// <c>AllowAutoRedirect = false</c>, or a redirect would replay a body carrying a secret elsewhere.
    /// </summary>
    private static void EnsureNoAutoRedirect(HttpMessageHandler handler)
    {
        var current = handler;
        while (current is DelegatingHandler delegating && delegating.InnerHandler is { } inner)
        {
            current = inner;
        }

        bool follows = current switch
        {
            SocketsHttpHandler sockets => sockets.AllowAutoRedirect,
            HttpClientHandler client => client.AllowAutoRedirect,
            _ => false,
        };
        if (follows)
        {
            throw new TesseraConfigurationException("the broker handler follows redirects; set AllowAutoRedirect = false on it (the SDK never follows a broker redirect)");
        }
    }

    /// <summary>Sends a request whose success answer carries no body (204).</summary>
    public async Task SendWithoutAnswerAsync(HttpMethod method, string path, HttpContent? content, string? bearer, CancellationToken cancellationToken)
    {
        using var answer = await SendCoreAsync(method, path, content, bearer, null, allowEmpty: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and returns the broker's JSON answer; every refusal becomes a <see cref="TesseraException"/>.</summary>
    public async Task<JsonDocument> SendAsync(HttpMethod method, string path, HttpContent? content, string? bearer, AuthenticationHeaderValue? auth, CancellationToken cancellationToken) =>
        (await SendCoreAsync(method, path, content, bearer, auth, allowEmpty: false, cancellationToken).ConfigureAwait(false))!;

    private async Task<JsonDocument?> SendCoreAsync(HttpMethod method, string path, HttpContent? content, string? bearer, AuthenticationHeaderValue? auth, bool allowEmpty, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        else if (auth is not null)
        {
            request.Headers.Authorization = auth;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new TesseraException($"cannot reach the broker at {BaseAddress}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TesseraException($"the broker at {BaseAddress} did not answer in time", ex);
        }

        using (response)
        {
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                throw new TesseraException($"the broker answered a redirect ({(int)response.StatusCode}), which the SDK never follows", "redirect_refused", (int)response.StatusCode, RequestId(response, null), "point the SDK at the broker's final URL", null, null);
            }

            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            JsonDocument? doc = null;
            try
            {
                doc = body.Length == 0 ? null : JsonDocument.Parse(body);
            }
            catch (JsonException)
            {
                doc = null;
            }

            if (response.IsSuccessStatusCode)
            {
                if (doc is null && allowEmpty && body.Length == 0)
                {
                    return null;
                }

                return doc ?? throw new TesseraException("the broker answered without a JSON body", "invalid_response", (int)response.StatusCode, RequestId(response, null), null, null, null);
            }

            using (doc)
            {
                throw ToException(response, doc?.RootElement);
            }
        }
    }

    public static HttpContent Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>HTTP Basic per RFC 6749 2.3.1: both parts form-urlencoded first.</summary>
    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));

    private static TesseraException ToException(HttpResponseMessage response, JsonElement? body)
    {
        int status = (int)response.StatusCode;
        string code = Str(body, "error_code") ?? Str(body, "error") ?? (status == 429 ? "rate_limited" : "http_" + status.ToString(CultureInfo.InvariantCulture));
        string message = Str(body, "detail") ?? Str(body, "error_description") ?? Str(body, "message") ?? response.ReasonPhrase ?? "request failed";
        string? requestId = RequestId(response, body);
        string? hint = Str(body, "hint");
        string? docs = Str(body, "docs_url");
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta ??
            (response.Headers.RetryAfter?.Date is { } date && response.Headers.Date is { } sent ? date - sent : null);
        string text = $"{code}: {message}";
        if (status == (int)HttpStatusCode.TooManyRequests)
        {
            return new TesseraRateLimitedException(text, code, status, requestId, hint, docs, retryAfter);
        }

        // The broker has no dedicated code for a revoked bearer token: it answers 401 or 403 saying so.
        if (RevokedCodes.Contains(code) || (status is 401 or 403 && message.Contains("revoked", StringComparison.OrdinalIgnoreCase)))
        {
            return new TesseraRevokedException(text, code, status, requestId, hint, docs);
        }

        return new TesseraException(text, code, status, requestId, hint, docs, retryAfter);
    }

    private static string? RequestId(HttpResponseMessage response, JsonElement? body) =>
        Str(body, "request_id") ?? (response.Headers.TryGetValues("X-Request-ID", out var values) ? values.FirstOrDefault() : null);

    private static string? Str(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public void Dispose() => _http.Dispose();
}
