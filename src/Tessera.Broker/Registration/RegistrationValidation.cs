using Tessera.Errors;
using Tessera.Identity;
using Tessera.Scopes;

namespace Tessera.Broker.Registration;

/// <summary>
/// Validation of <c>POST /v1/register</c>: the shape of the request (checked before anything is looked
/// up or used), and the values that are checked later, against the launch policy or after the nonce,
/// each in the order the registration runs them.
/// </summary>
internal static class RegistrationValidation
{
    /// <summary>Longest <c>audience</c> accepted.</summary>
    public const int MaxAudienceLength = 256;

    /// <summary>
    /// The required fields, the identifiers and the requested scope: <c>400 invalid_request</c>,
    /// <c>400 invalid_scope_format</c>, or <c>403 scope_violation</c> for a reserved scope.
    /// </summary>
    /// <param name="request">The request as read.</param>
    /// <param name="requested">The parsed requested scope, when the request is valid.</param>
    public static Failure? CheckRequest(RegisterRequest request, out ScopeSet requested)
    {
        requested = ScopeSet.Empty;
        if (string.IsNullOrEmpty(request.LaunchToken) || string.IsNullOrEmpty(request.Nonce) || string.IsNullOrEmpty(request.PublicKey) ||
            string.IsNullOrEmpty(request.Signature) || string.IsNullOrEmpty(request.OrchId) || string.IsNullOrEmpty(request.TaskId))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "missing required field", "launch_token, nonce, public_key, signature, orch_id and task_id are required");
        }

        if (request.RequestedScope is null || request.RequestedScope.Length == 0)
        {
            return new Failure(ErrorCatalog.InvalidRequest, "missing required field: requested_scope");
        }

        if (!AgentId.IsPathSegment(request.OrchId) || !AgentId.IsPathSegment(request.TaskId))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "orch_id and task_id must be 1-128 characters of letters, digits, '-', '_' or '.'");
        }

        if (!ScopeSet.TryParse(request.RequestedScope, out var parsed, out string? scopeError))
        {
            return new Failure(ErrorCatalog.InvalidScopeFormat, scopeError);
        }

        // admin: and app: belong to the operator's and apps' tokens: a wildcard ceiling such as
        // "*:launch-tokens:*" covers them by grammar, but no agent may carry them.
        if (ReservedScope(parsed) is { } reserved)
        {
            return new Failure(ErrorCatalog.ScopeViolation, "requested scope is in a reserved namespace", $"'{reserved}' is under admin: or app:, which no agent token may carry");
        }

        requested = parsed;
        return null;
    }

    /// <summary>The first scope of <paramref name="scopes"/> under <c>admin:</c> or <c>app:</c>, or null.</summary>
    public static string? ReservedScope(ScopeSet scopes)
    {
        var items = scopes.Items;
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].IsReserved)
            {
                return items[i].Value;
            }
        }

        return null;
    }

    /// <summary>
    /// An audience the launch policy allows must still be a plain identifier: at most
    /// <see cref="MaxAudienceLength"/> characters, no spaces, no control characters.
    /// </summary>
    public static Failure? CheckAudience(string audience)
    {
        if (audience.Length > MaxAudienceLength)
        {
            return AudienceFailure;
        }

        foreach (char c in audience)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return AudienceFailure;
            }
        }

        return null;
    }

    /// <summary>
    /// The token lifetime: <paramref name="requestedTtl"/> when given (positive, at most the launch
    /// policy's <paramref name="maxTtl"/>), otherwise <paramref name="maxTtl"/>; <c>400 invalid_ttl</c> if not.
    /// </summary>
    public static Failure? CheckTtl(int? requestedTtl, int maxTtl, out int ttl)
    {
        ttl = maxTtl;
        if (requestedTtl is not { } value)
        {
            return null;
        }

        if (value <= 0)
        {
            return new Failure(ErrorCatalog.InvalidTtl, "requested_ttl must be a positive number of seconds");
        }

        if (value > maxTtl)
        {
            return new Failure(ErrorCatalog.InvalidTtl, $"requested_ttl exceeds the launch policy's max_ttl of {maxTtl} seconds");
        }

        ttl = value;
        return null;
    }

    /// <summary>
    /// The raw 32-byte Ed25519 public key, base64 (standard or URL-safe alphabet); <c>401 unauthorized</c>
    /// naming what was wrong with it.
    /// </summary>
    public static Failure? ReadPublicKey(string value, out byte[] publicKey)
    {
        publicKey = [];
        if (DecodeBase64(value) is not { } decoded)
        {
            return new Failure(ErrorCatalog.Unauthorized, "invalid Ed25519 public key: base64 decode failed", "send base64 of the raw 32-byte public key");
        }

        if (decoded.Length != 32)
        {
            return new Failure(ErrorCatalog.Unauthorized, "invalid Ed25519 public key: wrong key size", "send the raw 32-byte key (Encoding.Raw, PublicFormat.Raw), not DER or PEM");
        }

        publicKey = decoded;
        return null;
    }

    /// <summary>The signature over the nonce, base64 (either alphabet); <c>401 unauthorized</c> when it does not decode.</summary>
    public static Failure? ReadSignature(string value, out byte[] signature)
    {
        if (DecodeBase64(value) is not { } decoded)
        {
            signature = [];
            return new Failure(ErrorCatalog.Unauthorized, "nonce signature verification failed: base64 decode failed", "send base64 of the 64-byte Ed25519 signature");
        }

        signature = decoded;
        return null;
    }

    /// <summary>The refusal of a signature that does not verify (or is not 64 bytes).</summary>
    public static Failure BadSignature => new(ErrorCatalog.Unauthorized, "nonce signature verification failed", "sign bytes.fromhex(nonce), the 32 decoded bytes, not the hex text");

    /// <summary>
    /// The value of a request field when it can go into an audit event as an identifier, else null: a
    /// refused request's <c>task_id</c> and <c>orch_id</c> are whatever the caller sent.
    /// </summary>
    public static string? Safe(string? value) => value is not null && AgentId.IsPathSegment(value) ? value : null;

    private static Failure AudienceFailure => new(ErrorCatalog.InvalidRequest, "audience must be at most 256 characters without spaces");

    private static byte[]? DecodeBase64(string value)
    {
        if (value.Length > 512)
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[384];
        if (Convert.TryFromBase64String(value, buffer, out int written))
        {
            return buffer[..written].ToArray();
        }

        // Also accept the URL-safe alphabet: the key is the same either way.
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(value.TrimEnd('='));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
