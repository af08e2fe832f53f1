using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>What <c>agents create</c> and <c>agents update</c> send besides the name; a null field is left out (unchanged on update).</summary>
internal sealed record AgentDetails(string? Owner = null, string[]? Metadata = null, bool ClearMetadata = false, int? TokenTtl = null, string? JwksFile = null)
{
    /// <summary>The request body; throws <see cref="CliConfigurationException"/> for malformed metadata or an unusable JWKS file.</summary>
    public JsonObject ToJson()
    {
        var body = new JsonObject();
        if (Owner is not null)
        {
            body["owner"] = Owner;
        }

        if (ClearMetadata && Metadata is { Length: > 0 })
        {
            throw new CliConfigurationException("give --metadata or --clear-metadata, not both");
        }

        if (ClearMetadata || Metadata is { Length: > 0 })
        {
            body["metadata"] = ParseMetadata(Metadata ?? []);
        }

        if (TokenTtl is { } ttl)
        {
            body["token_ttl"] = ttl;
        }

        if (JwksFile is not null)
        {
            body["jwks"] = LoadJwks(JwksFile);
        }

        return body;
    }

    private static JsonObject ParseMetadata(string[] pairs)
    {
        var metadata = new JsonObject();
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliConfigurationException($"--metadata takes key=value (got '{pair}')");
            }

            string key = pair[..eq];
            if (metadata.ContainsKey(key))
            {
                throw new CliConfigurationException($"--metadata: key '{key}' is given twice");
            }

            metadata[key] = pair[(eq + 1)..];
        }

        return metadata;
    }

    /// <summary>
    /// A JWK Set, or one JWK made into a set. Private key material is refused here, before it
    /// travels anywhere: the broker needs only the public half.
    /// </summary>
    private static JsonObject LoadJwks(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliConfigurationException($"cannot read --jwks-file {path}: {ex.Message}");
        }
        catch (JsonException)
        {
            // The parser's message can quote the file, and a mistaken file may hold a private key.
            throw new CliConfigurationException($"--jwks-file {path}: not valid JSON");
        }

        var set = root switch
        {
            JsonObject o when o["keys"] is JsonArray => o,
            JsonObject o when o["kty"] is not null => new JsonObject { ["keys"] = new JsonArray(o) },
            _ => throw new CliConfigurationException($"--jwks-file {path}: expected a JWK Set ({{\"keys\": [...]}}) or one JWK"),
        };
        foreach (var key in set["keys"]!.AsArray())
        {
            if (key is JsonObject jwk && (jwk.ContainsKey("d") || jwk.ContainsKey("p")))
            {
                throw new CliConfigurationException($"--jwks-file {path} contains private key material; give the public key only");
            }
        }

        return set;
    }
}
