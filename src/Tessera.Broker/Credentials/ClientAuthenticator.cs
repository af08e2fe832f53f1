using System.Text;
using Microsoft.AspNetCore.Http;
using Tessera.Broker.Apps;
using Tessera.Errors;
using Tessera.Storage.Clients;

namespace Tessera.Broker.Credentials;

/// <summary>Credentials a client presented, however it sent them.</summary>
/// <param name="ClientId">The key id, from the Basic header, the body, or the assertion's <c>iss</c>.</param>
/// <param name="Secret">The secret (Basic or body), or null.</param>
/// <param name="Assertion">A <c>private_key_jwt</c> client assertion, or null.</param>
/// <param name="Method"><c>client_secret_basic</c>, <c>client_secret_post</c> or <c>private_key_jwt</c>.</param>
internal sealed record PresentedCredentials(string? ClientId, string? Secret, string? Assertion, string Method);

/// <summary>The outcome of client authentication: the client, or the code and detail of the refusal.</summary>
internal readonly record struct ClientAuth(ClientRecord? Client, ErrorDescriptor? Error, string Detail)
{
    public static ClientAuth Fail(ErrorDescriptor error, string detail) => new(null, error, detail);
}

/// <summary>
/// Authenticates credentialed clients (agents, platforms) by secret or by signed assertion. An
/// unknown key id and a wrong secret get the same answer and the same hashing work, so the
/// answers cannot be used to find valid key ids.
/// </summary>
internal sealed class ClientAuthenticator(IClientStore clients, ClientSecrets secrets, ClientAssertionValidator assertions, TimeProvider time)
{
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";
    public const string PrivateKeyJwt = "private_key_jwt";

    /// <summary>Authenticates the request's HTTP Basic header as a client of <paramref name="kind"/>.</summary>
    public async Task<ClientAuth> AuthenticateBasicAsync(HttpContext context, string kind)
    {
        string? header = context.Request.Headers.Authorization;
        if (!TryParseBasic(header, out string? id, out string? secret))
        {
            return ClientAuth.Fail(ErrorCatalog.InvalidClient, "malformed or missing HTTP Basic credentials");
        }

        return await AuthenticateAsync(new PresentedCredentials(id, secret, null, Basic), kind, context.RequestAborted);
    }

    /// <summary>Authenticates presented credentials as a client of <paramref name="kind"/>.</summary>
    public async Task<ClientAuth> AuthenticateAsync(PresentedCredentials credentials, string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (credentials.Assertion is { } assertion)
        {
            return await assertions.ValidateAsync(assertion, credentials.ClientId, kind, cancellationToken);
        }

        string id = credentials.ClientId ?? "";
        string secret = credentials.Secret ?? "";
        if (id.Length == 0 || secret.Length == 0)
        {
            return ClientAuth.Fail(ErrorCatalog.InvalidClient, "client credentials are required");
        }

        var client = id.Length <= 128 ? await clients.FindByClientIdAsync(id, cancellationToken) : null;
        if (client is null || client.Kind != kind)
        {
            // Same work as a real check, so timing does not tell an unknown id from a wrong secret.
            _ = secrets.Hash(secret);
            return ClientAuth.Fail(ErrorCatalog.InvalidClient, "client authentication failed");
        }

        return secrets.Check(client, secret, now) switch
        {
            SecretMatch.Current or SecretMatch.Previous => new ClientAuth(client, null, ""),
            SecretMatch.Expired => ClientAuth.Fail(ErrorCatalog.SecretExpired, "this secret was rotated out and its grace window has ended"),
            _ => ClientAuth.Fail(ErrorCatalog.InvalidClient, "client authentication failed"),
        };
    }

    /// <summary>Parses <c>Basic base64(urlencode(id):urlencode(secret))</c> (RFC 6749 section 2.3.1).</summary>
    public static bool TryParseBasic(string? header, out string? id, out string? secret)
    {
        id = secret = null;
        if (header is null || header.Length > 4096 || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return false;
        }

        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        id = FormDecode(decoded[..colon]);
        secret = FormDecode(decoded[(colon + 1)..]);
        return id is not null && secret is not null;
    }

    /// <summary>application/x-www-form-urlencoded decoding of one value; null when malformed.</summary>
    public static string? FormDecode(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}
