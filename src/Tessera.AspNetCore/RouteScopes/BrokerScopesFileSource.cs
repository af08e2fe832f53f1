using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Revocation;

namespace Tessera.AspNetCore.RouteScopes;

/// <summary>
/// Follows the platform's routes at the broker: fetches <c>{Authority}/v1/platforms/{id}/scopes-file</c>
/// with the platform's credentials (HTTP Basic) in the background, again every
/// <see cref="BrokerRouteScopesOptions.RefreshInterval"/> with <c>If-None-Match</c>, at once when
/// the revocation feed announces a change of this platform's routes, and when the feed's stream
/// (re)connects (a change made while it was away was announced to nobody). A valid new version is swapped in
/// atomically; a failed fetch or an invalid document is logged (at most once a minute for the same
/// cause) and the last good version keeps serving; until a first version is loaded, requests get
/// <c>MIDDLEWARE_NOT_READY</c>, as with an unreadable local file.
/// </summary>
public sealed partial class BrokerScopesFileSource : IScopesFileSource, IDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RepeatLogAfter = TimeSpan.FromMinutes(1);

    private readonly HttpClient _http;
    private readonly Uri _uri;
    private readonly string _platformId;
    private readonly AuthenticationHeaderValue _credentials;
    private readonly BrokerRouteScopesOptions _options;
    private readonly RevocationView? _feed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ScopesFile? _current;
    private volatile string? _lastError = "not yet loaded from the broker";

    // Touched by the fetch loop only.
    private string? _etag;
    private string? _loggedError;
    private DateTimeOffset _loggedAt;
    private int _disposed;

    /// <summary>
    /// Starts following the scopes file of <paramref name="platformId"/> at the broker
    /// <paramref name="authority"/>; the first fetch runs in the background. With
    /// <paramref name="feed"/>, a <c>routes</c> event for this platform, or the feed's stream
    /// (re)connecting, triggers a fetch at once.
    /// <paramref name="http"/> stays the caller's to dispose.
    /// </summary>
    public BrokerScopesFileSource(
        HttpClient http, Uri authority, string platformId, string clientId, string clientSecret,
        BrokerRouteScopesOptions options, RevocationView? feed, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentException.ThrowIfNullOrEmpty(platformId);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _http = http;
        _uri = new Uri(authority.ToString().TrimEnd('/') + "/v1/platforms/" + Uri.EscapeDataString(platformId) + "/scopes-file");
        _platformId = platformId;
        _credentials = Authentication.BasicCredentials.Header(clientId, clientSecret);
        _options = options;
        _time = time;
        _logger = logger;
        _feed = feed;
        if (feed is not null)
        {
            feed.RoutesChanged += OnRoutesChanged;
            feed.StreamConnected += OnStreamConnected;
        }

        _ = Task.Run(RunAsync);
    }

    /// <inheritdoc />
    public ScopesFile? Current => _current;

    /// <inheritdoc />
    public string? LastError => _lastError;

    /// <summary>The address fetched: <c>{Authority}/v1/platforms/{id}/scopes-file</c>.</summary>
    public Uri Address => _uri;

    /// <summary>Asks for a fetch now, without waiting for the next interval (a <c>routes</c> event for this platform does this).</summary>
    public void RefreshNow() =>
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_feed is not null)
        {
            _feed.RoutesChanged -= OnRoutesChanged;
            _feed.StreamConnected -= OnStreamConnected;
        }

        _stop.Cancel();
        _stop.Dispose();
    }

    private void OnRoutesChanged(object? sender, RoutesChangedEventArgs e)
    {
        if (string.Equals(e.PlatformId, _platformId, StringComparison.Ordinal))
        {
            RefreshNow();
        }
    }

    // A change made while the stream was away (or before it first connected, during a fetch already
    // under way) was announced to nobody: ask again (a 304 when there was none).
    private void OnStreamConnected(object? sender, EventArgs e) => RefreshNow();

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var retry = FirstRetry;
        while (!stop.IsCancellationRequested)
        {
            // Taken before fetching, so a change announced during the fetch is fetched right after it.
            var wake = Volatile.Read(ref _wake).Task;
            bool fetched;
            try
            {
                fetched = await FetchAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Following the broker must survive anything it sends; the last good version keeps serving.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                fetched = Failed($"unexpected {ex.GetType().Name} while loading the scopes file from the broker");
            }

            // Until it succeeds, sooner than the interval: a platform that is not ready yet, or an
            // operator who just fixed what was wrong, should not wait the whole interval.
            var wait = fetched ? _options.RefreshInterval : (retry < _options.RefreshInterval ? retry : _options.RefreshInterval);
            retry = fetched ? FirstRetry : TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LongestRetry.Ticks));
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stop);
            await Task.WhenAny(wake, Task.Delay(wait, _time, delay.Token));
            await delay.CancelAsync();
        }
    }

    private async Task<bool> FetchAsync(CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(_options.FetchTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        request.Headers.Authorization = _credentials;
        if (_current is not null && _etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", _etag);
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            switch (response.StatusCode)
            {
                case HttpStatusCode.NotModified when _current is { } unchanged:
                    if (_lastError is not null)
                    {
                        LogUnchanged(_logger, _uri, unchanged.Version);
                    }

                    Succeeded();
                    return true;
                case HttpStatusCode.OK:
                    return Accept(await ReadAsync(response, linked.Token), response.Headers.ETag?.ToString());
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                    return Refused(
                        response.StatusCode,
                        "the broker refused the platform's credentials: set this platform's own ClientId and ClientSecret (Tessera:ClientId, Tessera:ClientSecret; from POST /v1/admin/platforms)");
                case HttpStatusCode.NotFound:
                    return Refused(
                        response.StatusCode,
                        $"the broker knows no platform '{_platformId}': register it (POST /v1/admin/platforms) or check Audience (Tessera:Audience)");
                default:
                    return Failed(string.Create(CultureInfo.InvariantCulture, $"the broker answered HTTP {(int)response.StatusCode}"));
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return Failed(string.Create(CultureInfo.InvariantCulture, $"the broker did not answer within {_options.FetchTimeout.TotalSeconds} s"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException)
        {
            // The message may name the broker's address: logged, not put in the refusals callers see.
            return Failed($"cannot fetch the scopes file from the broker ({ex.GetType().Name})", ex.Message);
        }
    }

    private async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int max = _options.MaxDocumentBytes;
        if (response.Content.Headers.ContentLength > max)
        {
            throw new InvalidDataException($"the scopes file is larger than {max} bytes");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var copy = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (copy.Length + read > max)
            {
                throw new InvalidDataException($"the scopes file is larger than {max} bytes");
            }

            copy.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)copy.Length);
    }

    private bool Accept(string yaml, string? etag)
    {
        if (!ScopesFile.TryParse(yaml, out var file, out string? error))
        {
            return Failed("the broker's scopes file is invalid: " + error);
        }

        if (!string.Equals(file.PlatformId, _platformId, StringComparison.Ordinal))
        {
            return Failed($"the broker's scopes file is for platform '{file.PlatformId}', not '{_platformId}'");
        }

        _current = file;
        _etag = etag;
        Succeeded();
        LogLoaded(_logger, _uri, file.Routes.Count, file.Version);
        return true;
    }

    private void Succeeded()
    {
        _lastError = null;
        _loggedError = null;
    }

    private bool Refused(HttpStatusCode status, string why)
    {
        string error = string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)status}: {why}");
        _lastError = error;
        if (ShouldLog(error))
        {
            LogRefused(_logger, _uri, (int)status, why, _current is null ? "requests get MIDDLEWARE_NOT_READY until it succeeds" : "keeping the last good version");
        }

        return false;
    }

    private bool Failed(string error, string? more = null)
    {
        _lastError = error;
        if (ShouldLog(error))
        {
            LogFailed(_logger, _uri, more is null ? error : $"{error}: {more}", _current is null ? "requests get MIDDLEWARE_NOT_READY until it succeeds" : "keeping the last good version");
        }

        return false;
    }

    // A failing broker is asked again every few seconds: the same cause is logged once a minute.
    private bool ShouldLog(string error)
    {
        var now = _time.GetUtcNow();
        if (string.Equals(error, _loggedError, StringComparison.Ordinal) && now - _loggedAt < RepeatLogAfter)
        {
            return false;
        }

        _loggedError = error;
        _loggedAt = now;
        return true;
    }

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Route scopes loaded from the broker ({Url}): {Count} routes, version {Version}")]
    private static partial void LogLoaded(ILogger logger, Uri url, int count, int version);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Information, Message = "Route scopes from the broker ({Url}) reachable again: version {Version} is still current")]
    private static partial void LogUnchanged(ILogger logger, Uri url, int version);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Error, Message = "The broker refused the route scopes request {Url} with HTTP {Status}: {Why}; {Outcome}")]
    private static partial void LogRefused(ILogger logger, Uri url, int status, string why, string outcome);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Route scopes from the broker ({Url}) not updated: {Error}; {Outcome}")]
    private static partial void LogFailed(ILogger logger, Uri url, string error, string outcome);
}
