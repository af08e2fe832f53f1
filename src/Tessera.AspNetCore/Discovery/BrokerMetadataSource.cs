using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Diagnostics;
using Tessera.AspNetCore.Keys;

namespace Tessera.AspNetCore.Discovery;

/// <summary>
/// The broker's metadata (<c>{Authority}/.well-known/tessera-configuration</c>), read before each
/// JWKS fetch: its <c>issuer</c> becomes the accepted issuer and its <c>jwks_uri</c> the key source,
/// unless the options pin them. A broker without the document (404) leaves the Authority as issuer
/// and <c>{Authority}/.well-known/jwks.json</c> as key source; a failed fetch keeps the last good
/// document. Only the JWKS cache calls it, one fetch at a time, so its state needs no lock; the
/// values requests read are published through volatile fields.
/// </summary>
internal sealed class BrokerMetadataSource
{
    /// <summary>Longest issuer accepted from the document.</summary>
    public const int MaxIssuerLength = 512;

    private readonly HttpClient _http;
    private readonly string _authority;
    private readonly IReadOnlyList<string> _pinnedIssuers;
    private readonly Uri? _pinnedJwks;
    private readonly bool _allowInsecureHttp;
    private readonly JwksCacheOptions _limits;
    private readonly ILogger _logger;
    private readonly Action<IReadOnlyList<string>> _applyIssuers;
    private readonly Uri _fallbackJwks;

    // The last good document's values (null: none yet, or the broker has none). _jwks is where
    // the keys are fetched; _publishedJwks the jwks_uri as the document wrote it.
    private string? _issuer;
    private Uri? _jwks;
    private volatile PublishedUri? _published;

    // What was last logged, so each change is logged once and not at every refresh.
    private string? _loggedIssuerMismatch;
    private string? _loggedJwksMismatch;
    private string? _loggedRefusedJwks;
    private string? _loggedIgnoredIssuer;
    private string? _loggedState;
    private IReadOnlyList<string> _applied;
    private volatile string _issuerOrigin;

    public BrokerMetadataSource(
        HttpClient http, string authority, IReadOnlyList<string> pinnedIssuers, Uri? pinnedJwks, bool allowInsecureHttp,
        JwksCacheOptions limits, ILogger logger, Action<IReadOnlyList<string>> applyIssuers)
    {
        _http = http;
        _authority = authority.TrimEnd('/');
        _pinnedIssuers = pinnedIssuers;
        _pinnedJwks = pinnedJwks;
        _allowInsecureHttp = allowInsecureHttp;
        _limits = limits;
        _logger = logger;
        _applyIssuers = applyIssuers;
        MetadataUri = new Uri(_authority + "/.well-known/tessera-configuration");
        _fallbackJwks = new Uri(_authority + "/.well-known/jwks.json");
        _applied = pinnedIssuers.Count > 0 ? pinnedIssuers : [_authority];
        _issuerOrigin = pinnedIssuers.Count > 0 ? "pinned in ValidIssuers" : "the Authority; the broker's metadata was not read yet";
    }

    /// <summary>Where the document is read.</summary>
    public Uri MetadataUri { get; }

    /// <summary>Where the accepted issuers come from, in words for a refusal (no secret: broker URLs are public metadata).</summary>
    public string IssuerOrigin => _issuerOrigin;

    /// <summary>
    /// The <c>jwks_uri</c> as the broker published it when the keys are fetched from
    /// <paramref name="fetched"/> because of it (it may have been reached through the Authority),
    /// else <paramref name="fetched"/>. Refusals name this one: it is the broker's public metadata,
    /// while the Authority may be an internal URL.
    /// </summary>
    public Uri PublishedJwks(Uri fetched) => _published is { } pair && pair.Fetched == fetched ? pair.Shown : fetched;

    /// <summary>Reads the document (bounded by the fetch timeout), applies its issuer, and answers where the keys are now.</summary>
    public async Task<Uri> LocateAsync(CancellationToken cancellationToken)
    {
        var (state, document) = await FetchAsync(cancellationToken);
        switch (state)
        {
            case FetchState.Found:
                Read(document!.RootElement);
                break;
            case FetchState.Absent:
                _issuer = null;
                _jwks = null;
                _published = null;
                LogOnce(ref _loggedState, "absent", () => MetadataLog.Absent(_logger, MetadataUri, _authority, _fallbackJwks));
                break;
            default:
                // Keep the last good document: a broker restarting must not flip the accepted issuer.
                break;
        }

        document?.Dispose();
        Apply(state);
        return _pinnedJwks ?? _jwks ?? _fallbackJwks;
    }

    private void Read(JsonElement root)
    {
        _loggedState = "found";
        string? issuer = root.TryGetProperty("issuer", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (issuer is not null && !IsIssuer(issuer))
        {
            LogOnce(ref _loggedIgnoredIssuer, issuer, () => MetadataLog.IssuerIgnored(_logger, Printable.Cut(issuer), MetadataUri, MaxIssuerLength));
            issuer = null;
        }

        if (issuer is not null)
        {
            _issuer = issuer;
        }

        string? jwks = root.TryGetProperty("jwks_uri", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null;
        if (jwks is null)
        {
            _jwks = null;
            _published = null;
            return;
        }

        string published = jwks;

        // The issuer names the broker; the Authority is how this platform reaches it. Keys published
        // under the issuer's URL are fetched through the Authority, which just answered.
        string? issuerBase = _issuer?.TrimEnd('/');
        if (issuerBase is not null && !string.Equals(issuerBase, _authority, StringComparison.OrdinalIgnoreCase) &&
            jwks.StartsWith(issuerBase + "/", StringComparison.OrdinalIgnoreCase))
        {
            jwks = _authority + jwks[issuerBase.Length..];
        }

        if (!Uri.TryCreate(jwks, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) ||
            (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback && !_allowInsecureHttp))
        {
            LogOnce(ref _loggedRefusedJwks, jwks, () => MetadataLog.JwksRefused(_logger, Printable.Cut(jwks), MetadataUri, _jwks ?? _fallbackJwks));
            return;
        }

        _loggedRefusedJwks = null;
        _jwks = uri;
        _published = Uri.TryCreate(published, UriKind.Absolute, out var shown) ? new PublishedUri(uri, shown) : null;
    }

    private void Apply(FetchState state)
    {
        if (_pinnedIssuers.Count > 0)
        {
            if (_issuer is not { } discovered || _pinnedIssuers.Contains(discovered, StringComparer.Ordinal))
            {
                _loggedIssuerMismatch = null;
            }
            else
            {
                LogOnce(ref _loggedIssuerMismatch, discovered, () => MetadataLog.PinnedIssuerDiffers(
                    _logger, Printable.Cut(string.Join("', '", _pinnedIssuers)), Printable.Cut(discovered), MetadataUri));
            }
        }
        else
        {
            IReadOnlyList<string> issuers = [_issuer ?? _authority];
            _issuerOrigin = _issuer is not null ? $"from the broker's metadata at {MetadataUri}"
                : state == FetchState.Absent ? $"the Authority: the broker publishes no metadata at {MetadataUri}"
                : $"the Authority: the broker's metadata at {MetadataUri} could not be read";
            if (!issuers.SequenceEqual(_applied, StringComparer.Ordinal))
            {
                _applied = issuers;
                _applyIssuers(issuers);
                string accepted = Printable.Cut(issuers[0]);
                MetadataLog.IssuerAccepted(_logger, accepted, _issuerOrigin);
            }
        }

        if (_pinnedJwks is not null && _jwks is { } jwks && jwks != _pinnedJwks)
        {
            LogOnce(ref _loggedJwksMismatch, jwks.ToString(), () => MetadataLog.PinnedJwksDiffers(_logger, _pinnedJwks, Printable.Cut(jwks.ToString()), MetadataUri));
        }
    }

    private async Task<(FetchState State, JsonDocument? Document)> FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_limits.FetchTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, MetadataUri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (FetchState.Absent, null);
            }

            if (!response.IsSuccessStatusCode)
            {
                return Failed($"HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength > _limits.MaxDocumentBytes)
            {
                return Failed($"the document is larger than MaxDocumentBytes ({_limits.MaxDocumentBytes} bytes)");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var limited = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                if (limited.Length + read > _limits.MaxDocumentBytes)
                {
                    return Failed($"the document is larger than MaxDocumentBytes ({_limits.MaxDocumentBytes} bytes)");
                }

                limited.Write(buffer, 0, read);
            }

            var document = JsonDocument.Parse(limited.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return Failed("the document is not a JSON object");
            }

            return (FetchState.Found, document);
        }
        catch (TaskCanceledException)
        {
            return Failed($"no answer within FetchTimeout ({_limits.FetchTimeout.TotalSeconds:0.###} s)");
        }
        catch (HttpRequestException ex)
        {
            return Failed("request failed (" + Printable.Cut(ex.InnerException?.Message ?? ex.Message) + ")");
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return Failed("the document is not JSON");
        }
    }

    private (FetchState, JsonDocument?) Failed(string cause)
    {
        LogOnce(ref _loggedState, "failed", () => MetadataLog.FetchFailed(
            _logger, MetadataUri, cause, _issuer is null ? "the Authority's defaults" : "the last good document"));
        return (FetchState.Failed, null);
    }

    private static void LogOnce(ref string? last, string value, Action log)
    {
        if (!string.Equals(last, value, StringComparison.Ordinal))
        {
            last = value;
            log();
        }
    }

    private static bool IsIssuer(string value) =>
        value.Length <= MaxIssuerLength && Uri.TryCreate(value, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    // Where the keys are fetched, and the jwks_uri that sent them there as the document wrote it.
    private sealed record PublishedUri(Uri Fetched, Uri Shown);

    private enum FetchState
    {
        Found,
        Absent,
        Failed,
    }
}
