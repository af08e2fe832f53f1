using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Broker.Http;
using Tessera.Errors;

namespace Tessera.Broker.Credentials;

/// <summary>
/// Reading and checking a <c>POST /v1/token</c> request: its parameters (a form or a JSON object of
/// strings, each given once, RFC 6749 section 3.2), its grant type and its one client
/// authentication method (section 2.3). Each check returns the refusal, or null.
/// </summary>
internal static class TokenExchangeValidation
{
    /// <summary>The one grant type the endpoint serves.</summary>
    public const string ClientCredentials = "client_credentials";

    /// <summary>Form (<c>application/x-www-form-urlencoded</c>) or JSON object of strings; a repeated parameter is refused (RFC 6749 3.2).</summary>
    public static async Task<(Dictionary<string, string>? Form, Failure? Failure)> ReadParametersAsync(HttpContext context, int maxBytes)
    {
        string? contentType = context.Request.ContentType;
        bool json = contentType is not null && JsonBody.IsJson(contentType);
        bool form = contentType is not null && contentType.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
        if (!json && !form)
        {
            return (null, new Failure(ErrorCatalog.UnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json"));
        }

        var raw = await JsonBody.ReadBoundedAsync(context, maxBytes);
        if (raw.Failure is { } tooLarge)
        {
            return (null, tooLarge);
        }

        try
        {
            var span = raw.Buffer.AsSpan(0, raw.Length);
            return json ? ParseJson(span) : ParseForm(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw.Buffer!, clearArray: true);
        }
    }

    /// <summary><c>name=value</c> pairs joined by <c>&amp;</c>, form-decoded, UTF-8.</summary>
    internal static (Dictionary<string, string>? Form, Failure? Failure) ParseForm(ReadOnlySpan<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "the form body is not valid UTF-8"));
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string? name = ClientAuthenticator.FormDecode(eq < 0 ? pair : pair[..eq]);
            string? value = ClientAuthenticator.FormDecode(eq < 0 ? "" : pair[(eq + 1)..]);
            if (name is null || value is null)
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, "the form body is malformed"));
            }

            if (!values.TryAdd(name, value))
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, $"parameter '{Printable(name)}' is repeated"));
            }
        }

        return (values, null);
    }

    /// <summary>A JSON object whose members are strings (a null member is left out).</summary>
    internal static (Dictionary<string, string>? Form, Failure? Failure) ParseJson(ReadOnlySpan<byte> body)
    {
        if (!JsonBody.HasValidText(body))
        {
            return (null, JsonBody.InvalidText);
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"));
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    return (null, new Failure(ErrorCatalog.InvalidRequest, $"malformed JSON body: field '{Printable(property.Name)}' must be a string"));
                }

                if (!values.TryAdd(property.Name, property.Value.GetString()!))
                {
                    return (null, new Failure(ErrorCatalog.InvalidRequest, $"parameter '{Printable(property.Name)}' is repeated"));
                }
            }

            return (values, null);
        }
        catch (JsonException)
        {
            return (null, new Failure(ErrorCatalog.InvalidRequest, "malformed JSON body", "send a JSON object"));
        }
    }

    /// <summary><c>grant_type</c> is required and must be <c>client_credentials</c>.</summary>
    public static Failure? GrantType(Dictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        string? grantType = parameters.GetValueOrDefault("grant_type");
        if (string.IsNullOrEmpty(grantType))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "grant_type is required");
        }

        return grantType != ClientCredentials ? new Failure(ErrorCatalog.UnsupportedGrantType, "only grant_type=client_credentials is supported") : null;
    }

    /// <summary>Exactly one client authentication method (RFC 6749 2.3): the <c>Authorization</c> header, a secret or an assertion in the parameters.</summary>
    public static Failure? Credentials(string? authorization, Dictionary<string, string> form, out PresentedCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(form);
        credentials = null;
        bool basic = !string.IsNullOrEmpty(authorization);
        bool post = form.ContainsKey("client_secret");
        bool jwt = form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type");
        if ((basic ? 1 : 0) + (post ? 1 : 0) + (jwt ? 1 : 0) > 1)
        {
            return new Failure(ErrorCatalog.InvalidRequest, "use exactly one client authentication method");
        }

        if (basic)
        {
            if (!ClientAuthenticator.TryParseBasic(authorization, out string? id, out string? secret))
            {
                return new Failure(ErrorCatalog.InvalidClient, "malformed HTTP Basic credentials");
            }

            if (form.TryGetValue("client_id", out string? bodyId) && bodyId != id)
            {
                return new Failure(ErrorCatalog.InvalidRequest, "client_id in the body differs from the Basic credentials");
            }

            credentials = new PresentedCredentials(id, secret, null, ClientAuthenticator.Basic);
            return null;
        }

        if (jwt)
        {
            if (form.GetValueOrDefault("client_assertion_type") != ClientAssertionValidator.AssertionType || !form.TryGetValue("client_assertion", out string? assertion))
            {
                return new Failure(ErrorCatalog.InvalidClient, $"client_assertion_type must be {ClientAssertionValidator.AssertionType} with a client_assertion");
            }

            credentials = new PresentedCredentials(form.GetValueOrDefault("client_id"), null, assertion, ClientAuthenticator.PrivateKeyJwt);
            return null;
        }

        if (post)
        {
            credentials = new PresentedCredentials(form.GetValueOrDefault("client_id"), form["client_secret"], null, ClientAuthenticator.Post);
            return null;
        }

        return new Failure(ErrorCatalog.InvalidClient, "client authentication is required (HTTP Basic, client_secret, or a client assertion)");
    }

    private static string Printable(string? value) =>
        value is null ? "" : new([.. value.Take(64).Select(c => c is >= ' ' and < (char)127 and not '|' ? c : '?')]);
}
