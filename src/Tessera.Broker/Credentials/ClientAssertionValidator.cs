using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tessera.Broker.Configuration;
using Tessera.Errors;
using Tessera.Keys;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Credentials;

/// <summary>
/// <c>private_key_jwt</c> client authentication (RFC 7523 section 3, as OpenID Connect Core 9
/// uses it): a JWT signed by one of the client's registered keys, with <c>iss</c> = <c>sub</c> =
/// the key id, <c>aud</c> = the token endpoint URL (or the issuer), an <c>exp</c> at most five
/// minutes ahead and a <c>jti</c> that is accepted once. The algorithm comes from the key the
/// <c>kid</c> names and must equal the header's; <c>none</c> and HMAC never verify.
/// </summary>
internal sealed class ClientAssertionValidator(IClientStore clients, IAssertionReplayStore replay, IOptions<BrokerOptions> options, TimeProvider time)
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public const int MaxLifetimeSeconds = 300;
    private const int MaxLength = 8 * 1024;
    private const int LeewaySeconds = 30;

    /// <summary>The audiences an assertion may name: the token endpoint URL and the issuer.</summary>
    public string TokenEndpoint => options.Value.Issuer.TrimEnd('/') + "/v1/token";

    public async Task<ClientAuth> ValidateAsync(string assertion, string? bodyClientId, string kind, CancellationToken cancellationToken)
    {
        if (assertion.Length > MaxLength)
        {
            return Fail("client assertion is too large");
        }

        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return Fail("client assertion is not a compact JWS");
        }

        if (!TryDecodeJson(parts[0], out var header) || !TryDecodeJson(parts[1], out var payload) || !TryDecode(parts[2], out byte[]? signature))
        {
            return Fail("client assertion is not valid base64url JSON");
        }

        using (header)
        using (payload)
        {
            var h = header!.RootElement;
            var p = payload!.RootElement;
            string? alg = Str(h, "alg");
            if (alg is not ("EdDSA" or "ES256" or "RS256"))
            {
                return Fail("client assertion alg must be EdDSA, ES256 or RS256");
            }

            string? iss = Str(p, "iss");
            string? sub = Str(p, "sub");
            string? jti = Str(p, "jti");
            if (iss is null || iss.Length > 128 || iss != sub)
            {
                return Fail("client assertion iss and sub must both be the key id");
            }

            if (bodyClientId is not null && bodyClientId != iss)
            {
                return Fail("client_id does not match the assertion's iss");
            }

            if (jti is null || jti.Length is 0 or > 256)
            {
                return Fail("client assertion jti is required (at most 256 characters)");
            }

            if (!p.TryGetProperty("exp", out var expElement) || expElement.ValueKind != JsonValueKind.Number || !expElement.TryGetInt64(out long exp))
            {
                return Fail("client assertion exp is required");
            }

            long now = time.GetUtcNow().ToUnixTimeSeconds();
            if (exp + LeewaySeconds <= now)
            {
                return Fail("client assertion has expired");
            }

            if (exp > now + MaxLifetimeSeconds + LeewaySeconds)
            {
                return Fail($"client assertion exp is more than {MaxLifetimeSeconds} seconds ahead");
            }

            if (p.TryGetProperty("nbf", out var nbf) && (nbf.ValueKind != JsonValueKind.Number || !nbf.TryGetInt64(out long notBefore) || notBefore > now + LeewaySeconds))
            {
                return Fail("client assertion is not yet valid");
            }

            if (!AudienceMatches(p))
            {
                return Fail($"client assertion aud must be the token endpoint ({TokenEndpoint})");
            }

            var client = await clients.FindByClientIdAsync(iss, cancellationToken);
            if (client is null || client.Kind != kind || string.IsNullOrEmpty(client.Jwks))
            {
                return Fail("client authentication failed");
            }

            string? kid = Str(h, "kid");
            using var key = FindKey(client.Jwks, kid, alg);
            if (key is null)
            {
                return Fail("no registered key of the client matches the assertion's kid and alg");
            }

            int dot = assertion.LastIndexOf('.');
            if (!key.Verify(Encoding.ASCII.GetBytes(assertion, 0, dot), signature))
            {
                return Fail("client assertion signature is invalid");
            }

            // Only a correctly signed assertion spends its jti: nobody else can burn a client's ids.
            if (!await replay.TryUseAsync(iss + " " + jti, (exp + LeewaySeconds) * 1000, now * 1000, cancellationToken))
            {
                return Fail("client assertion jti was already used");
            }

            return new ClientAuth(client, null, "");
        }
    }

    private bool AudienceMatches(JsonElement payload)
    {
        if (!payload.TryGetProperty("aud", out var aud))
        {
            return false;
        }

        string issuer = options.Value.Issuer.TrimEnd('/');
        bool Ok(string? value) => value is not null && (value.TrimEnd('/') == TokenEndpoint || value.TrimEnd('/') == issuer);
        if (aud.ValueKind == JsonValueKind.String)
        {
            return Ok(aud.GetString());
        }

        if (aud.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in aud.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && Ok(item.GetString()))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The client's key named by <paramref name="kid"/> (or its only key when the header names none), of
    /// <paramref name="alg"/>; null when no single registered key qualifies.
    /// </summary>
    internal static VerificationKey? FindKey(string jwks, string? kid, string alg)
    {
        if (!SigningAlgorithms.TryParse(alg, out var algorithm))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(jwks);
            return JsonWebKeySet.TrySelect(doc.RootElement, kid, algorithm, out var key) ? key : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ClientAuth Fail(string detail) => ClientAuth.Fail(ErrorCatalog.InvalidClient, detail);

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool TryDecode(string segment, out byte[]? bytes)
    {
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(segment);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }

    private static bool TryDecodeJson(string segment, out JsonDocument? document)
    {
        document = null;
        if (!TryDecode(segment, out byte[]? bytes))
        {
            return false;
        }

        // A segment whose text is not valid UTF-8 would throw later, when a claim is read.
        if (!Http.JsonBody.HasValidText(bytes))
        {
            return false;
        }

        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                document = null;
                return false;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
