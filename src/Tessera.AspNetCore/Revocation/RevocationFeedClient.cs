using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Tessera.AspNetCore.Revocation;

/// <summary>
/// The broker's revocation feed on the wire: a polled page and the Server-Sent Events stream,
/// both with the platform's credentials, both bounded (a page to
/// <see cref="RevocationView.MaxPageBytes"/>, a line or event to <see cref="RevocationView.MaxLineBytes"/>).
/// A refusal the caller must act on (401, 403, 429, 503) is a <see cref="FeedRefusedException"/>.
/// </summary>
internal sealed class RevocationFeedClient(HttpClient http, Uri authority, AuthenticationHeaderValue? credentials, TimeProvider time)
{
    private readonly string _feed = authority.ToString().TrimEnd('/') + "/v1/revocations";

    /// <summary>True when the platform's credentials are sent.</summary>
    public bool HasCredentials => credentials is not null;

    /// <summary>One page from <paramref name="since"/>.</summary>
    public async Task<JsonDocument> ReadPageAsync(long since, int limit, CancellationToken stop)
    {
        using var request = Request($"{_feed}?since={since.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        EnsureAccepted(response);
        var content = response.Content;
        if (content.Headers.ContentLength > RevocationView.MaxPageBytes)
        {
            throw new InvalidDataException($"revocation feed page larger than {RevocationView.MaxPageBytes} bytes");
        }

        await using var body = await content.ReadAsStreamAsync(stop);
        using var page = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, stop)) > 0)
        {
            if (page.Length + read > RevocationView.MaxPageBytes)
            {
                throw new InvalidDataException($"revocation feed page larger than {RevocationView.MaxPageBytes} bytes");
            }

            page.Write(buffer, 0, read);
        }

        return JsonDocument.Parse(page.GetBuffer().AsMemory(0, (int)page.Length));
    }

    /// <summary>
    /// Follows the stream from <paramref name="since"/> until it ends: <paramref name="onConnected"/>
    /// runs once the broker accepted it, <paramref name="onEvent"/> gets each complete event (name,
    /// data), <paramref name="onLine"/> runs after every line (comments and heartbeats included) once
    /// what came before it is handled.
    /// </summary>
    public async Task FollowAsync(long since, Action onConnected, Func<string?, string, Task> onEvent, Action onLine, CancellationToken stop)
    {
        using var request = Request($"{_feed}/stream?since={since.ToString(CultureInfo.InvariantCulture)}");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        EnsureAccepted(response);
        onConnected();
        await using var body = await response.Content.ReadAsStreamAsync(stop);
        var reader = new BoundedLineReader(body, RevocationView.MaxLineBytes);
        string? eventName = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(stop) is { } line)
        {
            if (line.Length == 0)
            {
                if (eventName is not null || data.Length > 0)
                {
                    await onEvent(eventName, data.ToString());
                }

                eventName = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                eventName = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length + line.Length > RevocationView.MaxLineBytes)
                {
                    throw new InvalidDataException($"revocation feed event longer than {RevocationView.MaxLineBytes} bytes");
                }

                data.Append(line[5..].Trim());
            }

            onLine();
        }
    }

    private HttpRequestMessage Request(string uri)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri));
        request.Headers.Authorization = credentials;
        return request;
    }

    private void EnsureAccepted(HttpResponseMessage response)
    {
        var status = response.StatusCode;
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            var retry = response.Headers.RetryAfter;
            var retryAfter = retry?.Delta ?? (retry?.Date is { } date ? date - time.GetUtcNow() : null);
            throw new FeedRefusedException(status, retryAfter);
        }

        response.EnsureSuccessStatusCode();
    }
}

/// <summary>The broker answered the feed with 401, 403, 429 or 503.</summary>
internal sealed class FeedRefusedException(HttpStatusCode status, TimeSpan? retryAfter) : Exception($"HTTP {(int)status}")
{
    public HttpStatusCode Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
