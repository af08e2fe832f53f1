using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>
/// The CLI's HTTP client for the broker's admin API. Authenticates with the admin secret once
/// per command; the secret goes only to <c>/v1/admin/auth</c>, never into output or logs.
/// </summary>
internal sealed class BrokerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _adminSecret;
    private string? _token;

    public BrokerClient(Uri broker, string? adminSecret, HttpMessageHandler? handler = null)
    {
        // A redirect must never carry the secret elsewhere.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = broker, Timeout = TimeSpan.FromSeconds(30) };
        _adminSecret = adminSecret;
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        string token = await TokenAsync(cancellationToken);
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is JsonNode node)
        {
            request.Content = new StringContent(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }

        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await BrokerException.FromAsync(response, cancellationToken);
            }
        }

        return response;
    }

    /// <summary>Sends a request that carries no admin token (public or client-authenticated endpoints); throws <see cref="BrokerException"/> on refusal.</summary>
    public async Task<JsonNode?> SendWithoutAdminTokenAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await BrokerException.FromAsync(response, cancellationToken);
        }

        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (_token is not null)
        {
            return _token;
        }

        if (string.IsNullOrEmpty(_adminSecret))
        {
            throw new CliConfigurationException("TESSERA_ADMIN_SECRET is not set; export the admin secret to use admin commands");
        }

        using var content = JsonContent.Create(new JsonObject { ["secret"] = _adminSecret });
        using var response = await _http.PostAsync("/v1/admin/auth", content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await BrokerException.FromAsync(response, cancellationToken);
        }

        var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        _token = json.GetProperty("access_token").GetString();
        return _token!;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The broker refused a request; carries its problem fields.</summary>
internal sealed class BrokerException(int status, string code, string detail, string? hint = null) : Exception($"{status} {code}: {detail}")
{
    public int Status { get; } = status;

    /// <summary>The problem's <c>hint</c>: what the broker advises to change.</summary>
    public string? Hint { get; } = hint;

    public string Code { get; } = code;

    public string Detail { get; } = detail;

    public static async Task<BrokerException> FromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string code = "http_" + (int)response.StatusCode;
        string detail = response.ReasonPhrase ?? "";
        string? hint = null;
        try
        {
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            code = problem?["error_code"]?.GetValue<string>() ?? code;

            // Problem details carry "detail"; the OAuth token endpoint carries "error_description".
            detail = (problem?["detail"] ?? problem?["error_description"])?.GetValue<string>() ?? detail;
            hint = problem?["hint"] is JsonValue h && h.TryGetValue(out string? text) ? text : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
        }

        if (response.Headers.RetryAfter?.Delta is { } wait)
        {
            detail += $" (retry after {wait.TotalSeconds:0} s)";
        }

        return new BrokerException((int)response.StatusCode, code, detail, hint);
    }
}

/// <summary>The CLI is missing a setting it needs.</summary>
internal sealed class CliConfigurationException(string message) : Exception(message);
