using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Broker.Tests;

/// <summary>One control-plane exchange as the test saw it (the SDK reads less; the test checks more).</summary>
public sealed record ControlCall(string Path, JsonObject Body, int Status, string? ContentType, string Text, bool Redirect);

/// <summary>
/// MudraID's agent SDK 1.x (<c>Agent(api_key_id=…, secret=…)</c>), call for call as facts.md §1
/// has it: lazy discovery once (POST <c>/api/v1/auth/agents/me/platforms</c>) into a map of
/// lower-cased host to platform, kept only for entries <c>active</c> and <c>verified</c>; a
/// per-platform token minted with <c>scopes: []</c> and kept while <c>now + 30 &lt; minted +
/// expires_in</c>; a platform's 401 re-mints and replays once for GET, HEAD, OPTIONS, PUT, DELETE,
/// TRACE or a keyed request only. Credentials travel in the JSON body; redirects are not followed.
/// </summary>
public sealed class MudraIdLegacyAgent : IDisposable
{
    private static readonly HashSet<string> Replayable = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"];

    private readonly string _baseUrl;
    private readonly string _apiKeyId;
    private readonly string _secret;
    private readonly TimeProvider _clock;
    private readonly HttpClient _control = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly HttpClient _resources = new();
    private readonly Dictionary<string, (string Token, DateTimeOffset MintedAt, double ExpiresIn)> _tokens = new(StringComparer.Ordinal);
    private Dictionary<string, string>? _hosts;

    public MudraIdLegacyAgent(string baseUrl, string apiKeyId, string secret, TimeProvider clock)
    {
        _baseUrl = baseUrl.TrimEnd('/');
        _apiKeyId = apiKeyId;
        _secret = secret;
        _clock = clock;
    }

    /// <summary>Every control-plane call made, in order.</summary>
    public List<ControlCall> ControlCalls { get; } = [];

    public int Discoveries => ControlCalls.Count(c => c.Path.EndsWith("/platforms", StringComparison.Ordinal));

    public int Mints => ControlCalls.Count(c => c.Path.EndsWith("/token", StringComparison.Ordinal));

    /// <summary>The host → platform map, once discovered.</summary>
    public IReadOnlyDictionary<string, string>? Hosts => _hosts;

    /// <summary><c>agent.request(method, url)</c>: route by host, attach the cached token, one replay on a 401 when safe.</summary>
    public async Task<HttpResponseMessage> RequestAsync(HttpMethod method, string url, string? body = null, string? idempotencyKey = null)
    {
        string host = new Uri(url).IdnHost.ToLowerInvariant();
        var hosts = await PlatformsAsync();
        if (!hosts.TryGetValue(host, out string? platformId))
        {
            throw new MudraIdSdkException(MudraIdSdkErrorKind.PlatformNotRegistered, $"no platform registered for host {host}", 0);
        }

        string token = await TokenAsync(platformId, force: false);
        var response = await SendAsync(method, url, body, idempotencyKey, token);
        if (response.StatusCode == HttpStatusCode.Unauthorized && (Replayable.Contains(method.Method) || idempotencyKey is not null))
        {
            response.Dispose();
            token = await TokenAsync(platformId, force: true);
            response = await SendAsync(method, url, body, idempotencyKey, token);
        }

        return response;
    }

    /// <summary><c>refresh_platforms()</c>: forget the host map and every cached token.</summary>
    public void RefreshPlatforms()
    {
        _hosts = null;
        _tokens.Clear();
    }

    /// <summary>The bootstrap call; the map is built once and a failure is not cached.</summary>
    public async Task<IReadOnlyDictionary<string, string>> PlatformsAsync()
    {
        if (_hosts is { } known)
        {
            return known;
        }

        var json = await PostAsync("/api/v1/auth/agents/me/platforms", new JsonObject { ["api_key_id"] = _apiKeyId, ["secret"] = _secret });
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json["platforms"] is JsonArray entries)
        {
            foreach (var entry in entries.OfType<JsonObject>())
            {
                if (Str(entry, "status") == "active" && Str(entry, "verification_status") == "verified" &&
                    Str(entry, "hostname") is { } hostname && !string.IsNullOrWhiteSpace(hostname) &&
                    Str(entry, "platform_id") is { Length: > 0 } platformId)
                {
                    map.TryAdd(hostname.Trim().ToLowerInvariant(), platformId);
                }
            }
        }

        _hosts = map;
        return map;
    }

    /// <summary>The per-platform token: cached while fresh (30 s margin), minted with <c>scopes: []</c> otherwise.</summary>
    public async Task<string> TokenAsync(string platformId, bool force)
    {
        var now = _clock.GetUtcNow();
        if (!force && _tokens.TryGetValue(platformId, out var cached) && now.AddSeconds(30) < cached.MintedAt.AddSeconds(cached.ExpiresIn))
        {
            return cached.Token;
        }

        var json = await PostAsync("/api/v1/auth/token", new JsonObject
        {
            ["api_key_id"] = _apiKeyId,
            ["secret"] = _secret,
            ["platform_id"] = platformId,
            ["scopes"] = new JsonArray(),
        });
        if (Str(json, "access_token") is not { Length: > 0 } token)
        {
            throw new MudraIdSdkException(MudraIdSdkErrorKind.Network, "token response without access_token", 200);
        }

        double expiresIn = json["expires_in"] is JsonValue v && v.TryGetValue(out double seconds) && seconds > 0 ? seconds : 300;
        _tokens[platformId] = (token, now, expiresIn);
        return token;
    }

    /// <summary>A raw control-plane POST with the SDK's error mapping (used directly for calls the SDK never makes, such as a non-empty scope list).</summary>
    public async Task<JsonObject> PostAsync(string path, JsonObject body)
    {
        HttpResponseMessage response;
        try
        {
            response = await _control.PostAsJsonAsync(_baseUrl + path, body);
        }
        catch (HttpRequestException ex)
        {
            throw new MudraIdSdkException(MudraIdSdkErrorKind.Network, ex.Message, 0);
        }

        using (response)
        {
            string text = await response.Content.ReadAsStringAsync();
            int status = (int)response.StatusCode;
            ControlCalls.Add(new ControlCall(path, body, status, response.Content.Headers.ContentType?.MediaType, text, status is >= 300 and < 400));
            JsonObject? json = TryParse(text);
            switch (status)
            {
                case 401:
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.Auth, "invalid credentials", status);
                case 403:
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.Revoked, Str(json, "detail") ?? Str(json, "message") ?? "access refused; check platform grants", status, Str(json, "error_code") ?? Str(json, "code"));
                case 402:
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.BillingFrozen, Str(json, "detail") ?? Str(json, "message") ?? "billing frozen", status);
                case 429:
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.RateLimited, "rate limited", status, Str(json, "error_code") ?? Str(json, "code"), RetryAfter(response));
                case >= 200 and < 300 when json is not null:
                    return json;
                default:
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.Network, $"unexpected status {status}", status);
            }
        }
    }

    public void Dispose()
    {
        _control.Dispose();
        _resources.Dispose();
    }

    internal static int? RetryAfter(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Retry-After", out var values) &&
        int.TryParse(values.First(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? seconds : null;

    internal static string? Str(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    internal static JsonObject? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body, string? idempotencyKey, string token)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return await _resources.SendAsync(request);
    }
}
