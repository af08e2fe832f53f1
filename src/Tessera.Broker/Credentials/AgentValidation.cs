using System.Text.Json;
using System.Text.RegularExpressions;
using Tessera.Broker.Http;
using Tessera.Errors;
using Tessera.Keys;
using Tessera.Scopes;

namespace Tessera.Broker.Credentials;

/// <summary>
/// The checks of every request body the admin agent endpoints take, in the order the endpoints apply
/// them; each returns the refusal, or null with the normalized values.
/// </summary>
internal static partial class AgentValidation
{
    /// <summary>How many public keys an agent may register.</summary>
    public const int MaxKeys = 10;

    /// <summary>The longest rotation grace: 30 days.</summary>
    public const int MaxGraceSeconds = 30 * 86400;

    /// <summary>A new agent: its name, then its details.</summary>
    public static Failure? Create(CreateAgentRequest request, out AgentDetails details)
    {
        ArgumentNullException.ThrowIfNull(request);
        Failure? failure = null;
        if (string.IsNullOrEmpty(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "name is required");
        }
        else if (request.Name.Length > 64 || !NamePattern().IsMatch(request.Name))
        {
            failure = new Failure(ErrorCatalog.InvalidRequest, "invalid agent name: must be lowercase letters, digits, and hyphens", "at most 64 characters, starting with a letter, no double or trailing hyphen");
        }

        if (failure is not null)
        {
            details = AgentDetails.None;
            return failure;
        }

        return Details(request.Owner ?? "", request.Metadata, request.TokenTtl, request.Jwks, out details);
    }

    /// <summary>An update: at least one field, each valid.</summary>
    public static Failure? Update(UpdateAgentRequest request, out AgentDetails details)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Owner is null && request.Metadata is null && request.TokenTtl is null && request.Jwks is null)
        {
            details = AgentDetails.None;
            return new Failure(ErrorCatalog.InvalidRequest, "at least one of owner, metadata, token_ttl or jwks must be provided");
        }

        return Details(request.Owner ?? "", request.Metadata, request.TokenTtl, request.Jwks, out details);
    }

    /// <summary>A grant: a platform id and a non-empty list of well-formed scopes.</summary>
    public static Failure? Grant(GrantRequest request, out ScopeSet scopes)
    {
        ArgumentNullException.ThrowIfNull(request);
        scopes = ScopeSet.Empty;
        if (string.IsNullOrEmpty(request.PlatformId))
        {
            return new Failure(ErrorCatalog.InvalidRequest, "platform_id is required");
        }

        if (request.Scopes is null || request.Scopes.Length == 0)
        {
            return new Failure(ErrorCatalog.InvalidRequest, "scopes must not be empty", "to take a grant away, DELETE /v1/admin/agents/{id}/grants/{platform_id}");
        }

        if (!ScopeSet.TryParse(request.Scopes, out var parsed, out string? scopeError))
        {
            return new Failure(ErrorCatalog.InvalidScopeFormat, scopeError);
        }

        scopes = parsed;
        return null;
    }

    /// <summary>The reason of a suspension, unsuspension or revocation; <paramref name="defaultReason"/> when none is given.</summary>
    public static Failure? Reason(StatusChangeRequest? request, string defaultReason, out string reason)
    {
        reason = defaultReason;
        if (request?.Reason is { } given)
        {
            if (given.Length > 256 || given.Any(PrintableName.IsHidden))
            {
                return new Failure(ErrorCatalog.InvalidRequest, "reason must be at most 256 printable characters");
            }

            reason = given;
        }

        return null;
    }

    /// <summary>The grace of a secret rotation: the request's, or <paramref name="defaultGrace"/>; from 0 to 30 days.</summary>
    public static Failure? Grace(Apps.RotateSecretRequest? request, int defaultGrace, out int grace)
    {
        grace = request?.GraceSeconds ?? defaultGrace;
        return grace is < 0 or > MaxGraceSeconds ? new Failure(ErrorCatalog.InvalidRequest, "grace_seconds must be between 0 and 2592000") : null;
    }

    /// <summary>Owner, metadata, token lifetime and public keys, normalized for the store.</summary>
    internal static Failure? Details(string owner, Dictionary<string, string?>? metadata, int? tokenTtl, JsonElement? jwks, out AgentDetails details)
    {
        details = AgentDetails.None;
        if (!PrintableName.IsValid(owner, 256))
        {
            return new Failure(ErrorCatalog.InvalidRequest, $"owner must be at most 256 printable characters ({PrintableName.Rule})");
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            if (metadata.Count > 32)
            {
                return new Failure(ErrorCatalog.InvalidRequest, "metadata: at most 32 entries");
            }

            foreach (var (key, value) in metadata)
            {
                if (key.Length is 0 or > 64 || value is null || value.Length > 1024)
                {
                    return new Failure(ErrorCatalog.InvalidRequest, "metadata: keys of 1 to 64 characters, string values of at most 1024");
                }

                meta[key] = value;
            }
        }

        if (tokenTtl is { } ttl && ttl != 0 && ttl is < 60 or > 86400)
        {
            return new Failure(ErrorCatalog.InvalidTtl, $"invalid token TTL: must be between 60 and 86400 seconds (0 = the broker's exchange_ttl), got {ttl}");
        }

        string jwksText = "";
        if (jwks is { } set && set.ValueKind != JsonValueKind.Null)
        {
            if (CheckJwks(set, out jwksText) is { } problem)
            {
                return new Failure(ErrorCatalog.InvalidRequest, $"jwks: {problem}", "send {\"keys\": [public JWKs with kid and alg: EdDSA (OKP Ed25519), ES256 (EC P-256) or RS256 (RSA >= 2048 bits)]}");
            }
        }

        details = new AgentDetails(owner, JsonSerializer.Serialize(meta, BrokerJson.Default.DictionaryStringString), jwksText);
        return null;
    }

    /// <summary>Keeps only the public members of each key, after proving each one loads.</summary>
    private static string? CheckJwks(JsonElement set, out string normalized)
    {
        normalized = "";
        if (set.ValueKind != JsonValueKind.Object || !set.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            return "must be an object with a keys array";
        }

        int count = keys.GetArrayLength();
        if (count > MaxKeys)
        {
            return $"at most {MaxKeys} keys";
        }

        var kids = new HashSet<string>(StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            int i = 0;
            foreach (var jwk in keys.EnumerateArray())
            {
                if (jwk.ValueKind == JsonValueKind.Object && (jwk.TryGetProperty("d", out _) || jwk.TryGetProperty("p", out _)))
                {
                    return $"keys[{i}] contains private key material; send the public key only";
                }

                if (!VerificationKey.TryFromJwk(jwk, out var key, out string? error))
                {
                    return $"keys[{i}]: {error}";
                }

                using (key)
                {
                    if (!kids.Add(key!.KeyId))
                    {
                        return $"keys[{i}]: duplicate kid";
                    }

                    key.WriteJwk(writer);
                }

                i++;
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        normalized = count == 0 ? "" : System.Text.Encoding.UTF8.GetString(stream.ToArray());
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>An agent's checked details, as the store keeps them.</summary>
/// <param name="Owner">Who answers for the agent.</param>
/// <param name="MetadataJson">The metadata as a JSON object of strings.</param>
/// <param name="Jwks">The normalized public JWK set, or empty when none was given.</param>
internal sealed record AgentDetails(string Owner, string MetadataJson, string Jwks)
{
    /// <summary>No details: what a refused request leaves.</summary>
    public static readonly AgentDetails None = new("", "", "");
}
