using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;
using static Tessera.Broker.Tests.MudraIdLegacyAgent;

namespace Tessera.Broker.Tests;

/// <summary>A 2.x machine identity as <c>MachineAgent.from_env</c> reads it (facts.md §2.1).</summary>
/// <param name="ClientId"><c>MUDRAID_CLIENT_ID</c>: the agent's key id.</param>
/// <param name="TokenEndpoint"><c>MUDRAID_TOKEN_ENDPOINT</c>, used verbatim.</param>
/// <param name="Resource"><c>MUDRAID_RESOURCE</c>, sent verbatim.</param>
/// <param name="Scopes"><c>MUDRAID_SCOPES</c>; empty sends no <c>scope</c> field.</param>
/// <param name="AssertionAudience"><c>MUDRAID_ASSERTION_AUDIENCE</c> (private_key_jwt).</param>
/// <param name="Signer">The key behind <c>MUDRAID_PRIVATE_KEY_PATH</c> / <c>MUDRAID_KEY_ID</c> (private_key_jwt), RS256 or ES256.</param>
/// <param name="ClientSecret"><c>MUDRAID_CLIENT_SECRET</c> (client_secret_basic).</param>
public sealed record MachineIdentity(
    string ClientId, string TokenEndpoint, string Resource, string[] Scopes, string? AssertionAudience = null, AssertionKey? Signer = null, string? ClientSecret = null);

/// <summary>
/// MudraID's agent SDK 2.x <c>MachineAgent</c> at its token endpoint, call for call as facts.md §2
/// has it: a form POST with <c>grant_type=client_credentials</c>, <c>resource</c> and, only when
/// scopes are configured, <c>scope</c>; <c>private_key_jwt</c> (assertion claims exactly iss = sub =
/// client id, aud, iat, exp = iat + 60, a 32-hex jti, no nbf; header alg, kid, typ JWT) or
/// <c>client_secret_basic</c> with the raw <c>base64(id:secret)</c>; never a <c>client_id</c> field;
/// one cached token kept while <c>now + 30 &lt; expires_at</c>; the answer mapped as the SDK maps it.
/// </summary>
public sealed class MudraIdMachineAgent(MachineIdentity identity, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private (string Token, DateTimeOffset ExpiresAt)? _cached;

    public int Mints { get; private set; }

    /// <summary>The form fields of the last token request.</summary>
    public Dictionary<string, string> LastForm { get; } = new(StringComparer.Ordinal);

    /// <summary>The Authorization header of the last token request, if any.</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>The last assertion sent (private_key_jwt).</summary>
    public string? LastAssertion { get; private set; }

    /// <summary>The body of the last answer.</summary>
    public JsonObject? LastResponse { get; private set; }

    /// <summary>The <c>scope</c> of the last answer (kept for diagnostics, not enforced).</summary>
    public string? GrantedScope { get; private set; }

    /// <summary>The cached token, or a new one.</summary>
    public async Task<string> TokenAsync(bool force = false)
    {
        var now = clock.GetUtcNow();
        if (!force && _cached is { } cached && now.AddSeconds(30) < cached.ExpiresAt)
        {
            return cached.Token;
        }

        var (token, expiresIn) = await MintAsync(now);
        _cached = (token, now.AddSeconds(expiresIn));
        return token;
    }

    /// <summary>Sends the last assertion again (what a replay attacker would do), mapped like any answer.</summary>
    public Task<(string Token, double ExpiresIn)> ReplayLastAssertionAsync() => PostAsync(new Dictionary<string, string>(LastForm), null);

    public void Dispose() => _http.Dispose();

    private Task<(string Token, double ExpiresIn)> MintAsync(DateTimeOffset now)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["grant_type"] = "client_credentials",
            ["resource"] = identity.Resource,
        };
        var scopes = identity.Scopes.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).ToArray();
        if (scopes.Length > 0)
        {
            form["scope"] = string.Join(' ', scopes);
        }

        AuthenticationHeaderValue? basic = null;
        if (identity.Signer is { } signer)
        {
            long iat = now.ToUnixTimeSeconds();
            var claims = new JsonObject
            {
                ["iss"] = identity.ClientId,
                ["sub"] = identity.ClientId,
                ["aud"] = identity.AssertionAudience,
                ["iat"] = iat,
                ["exp"] = iat + 60,
                ["jti"] = Guid.NewGuid().ToString("N"),
            };
            LastAssertion = signer.Sign(claims, new JsonObject { ["alg"] = signer.Algorithm, ["kid"] = signer.KeyId, ["typ"] = "JWT" });
            form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
            form["client_assertion"] = LastAssertion;
        }
        else
        {
            // requests' HTTPBasicAuth: the id and secret are not form-urlencoded first.
            basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.Latin1.GetBytes($"{identity.ClientId}:{identity.ClientSecret}")));
        }

        return PostAsync(form, basic);
    }

    private async Task<(string Token, double ExpiresIn)> PostAsync(Dictionary<string, string> form, AuthenticationHeaderValue? basic)
    {
        Mints++;
        LastForm.Clear();
        foreach (var (k, v) in form)
        {
            LastForm[k] = v;
        }

        LastAuthorization = basic?.ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, identity.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = basic;
        using var response = await _http.SendAsync(request);
        int status = (int)response.StatusCode;
        var json = TryParse(await response.Content.ReadAsStringAsync());
        LastResponse = json;
        switch (status)
        {
            case >= 200 and < 300 when json is not null && Str(json, "access_token") is { Length: > 0 } token:
                if (json["token_type"] is not null && !string.Equals(Str(json, "token_type"), "bearer", StringComparison.OrdinalIgnoreCase))
                {
                    throw new MudraIdSdkException(MudraIdSdkErrorKind.Network, "token_type is not bearer", status);
                }

                GrantedScope = Str(json, "scope");
                return (token, json["expires_in"] is JsonValue v && v.TryGetValue(out double seconds) && seconds > 0 ? seconds : 300);
            case 401:
                throw new MudraIdSdkException(MudraIdSdkErrorKind.Auth, "invalid client credentials", status);
            case 402:
                throw new MudraIdSdkException(MudraIdSdkErrorKind.BillingFrozen, Str(json, "error_description") ?? Str(json, "detail") ?? "billing frozen", status);
            case 429:
                throw new MudraIdSdkException(MudraIdSdkErrorKind.RateLimited, "rate limited", status, Str(json, "error_code") ?? Str(json, "code"), RetryAfter(response));
            case 400 when Str(json, "error") is { } error:
                throw new MudraIdSdkException(MudraIdSdkErrorKind.Revoked, Str(json, "error_description") ?? $"token request refused ({error})", status, error);
            default:
                // A 403 lands here too: the 2.x SDK does not read it as "revoked".
                throw new MudraIdSdkException(MudraIdSdkErrorKind.Network, $"unexpected status {status}", status);
        }
    }
}
