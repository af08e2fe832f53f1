using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>What <c>platforms create</c> and <c>platforms update</c> send; a null or empty field is left out (unchanged on update).</summary>
internal sealed record PlatformFields(
    string PlatformId, string? Name = null, string[]? Hostnames = null, string[]? Scopes = null, string? RoutesFile = null, string? TokenProfile = null)
{
    /// <summary>The request body; reads the routes file, so it throws <see cref="CliConfigurationException"/> for a bad one.</summary>
    public JsonObject ToJson()
    {
        var body = new JsonObject();
        if (Name is not null)
        {
            body["name"] = Name;
        }

        if (Hostnames is { Length: > 0 })
        {
            body["hostnames"] = new JsonArray([.. Hostnames.Select(h => JsonValue.Create(h))]);
        }

        if (Scopes is { Length: > 0 })
        {
            body["scopes"] = new JsonArray([.. Scopes.Select(s => JsonValue.Create(s))]);
        }

        if (RoutesFile is not null)
        {
            body["routes"] = Admin.RoutesFile.Load(RoutesFile, PlatformId);
        }

        if (TokenProfile is not null)
        {
            body["token_profile"] = TokenProfile;
        }

        return body;
    }
}
