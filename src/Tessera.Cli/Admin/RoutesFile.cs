using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tessera.Cli.Admin;

/// <summary>
/// Reads a platform's route rules for <c>--routes-file</c>: JSON (an object with a <c>routes</c>
/// array, such as <c>platforms show --json</c> prints, or the bare array) or YAML in the scopes-file
/// format (<c>platform_id</c>, <c>version</c>, <c>routes</c>), such as <c>platforms scopes-file</c>
/// writes. The rules themselves are checked by the broker; this only turns the file into the
/// request's <c>routes</c> array and catches what the broker could not point at (a line number,
/// a file written for another platform).
/// </summary>
internal static class RoutesFile
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static JsonArray Load(string path, string platformId)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliConfigurationException($"cannot read --routes-file {path}: {ex.Message}");
        }

        string trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return trimmed.StartsWith('{') || trimmed.StartsWith('[') ? FromJson(path, text, platformId) : FromYaml(path, text, platformId);
    }

    private static JsonArray FromJson(string path, string text, string platformId)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: JsonOptions);
        }
        catch (JsonException ex)
        {
            throw Bad(path, $"line {(ex.LineNumber ?? 0) + 1}: not valid JSON ({ex.Message})");
        }

        switch (root)
        {
            case JsonArray routes:
                return routes;
            case JsonObject obj when obj["routes"] is JsonArray routes:
                CheckPlatform(path, obj["platform_id"] is JsonValue id && id.TryGetValue(out string? s) ? s : null, platformId);
                obj.Remove("routes");
                return routes;
            default:
                throw Bad(path, "expected a JSON object with a routes array, or the array itself");
        }
    }

    private static JsonArray FromYaml(string path, string text, string platformId)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw Bad(path, $"line {ex.Start.Line}: not valid YAML ({ex.Message})");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw Bad(path, "line 1: expected one YAML mapping with platform_id, version and routes (the scopes-file format)");
        }

        YamlSequenceNode? routes = null;
        foreach (var (keyNode, value) in root.Children)
        {
            switch (Scalar(keyNode))
            {
                case "platform_id" when value is YamlScalarNode id:
                    CheckPlatform(path, id.Value, platformId);
                    break;
                case "version" when value is YamlScalarNode:
                    break;
                case "routes" when value is YamlSequenceNode list:
                    routes = list;
                    break;
                case var key:
                    throw Bad(path, $"line {keyNode.Start.Line}: unexpected or malformed key '{key}' (expected platform_id, version, routes)");
            }
        }

        if (routes is null)
        {
            throw Bad(path, $"line {root.Start.Line}: routes is required");
        }

        return [.. routes.Children.Select(node => (JsonNode)Route(path, node))];
    }

    private static JsonObject Route(string path, YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            throw Bad(path, $"line {node.Start.Line}: a route must be a mapping with method and path");
        }

        var route = new JsonObject();
        foreach (var (keyNode, value) in map.Children)
        {
            string key = Scalar(keyNode);
            route[key] = (key, value) switch
            {
                ("method" or "path" or "scope" or "match", YamlScalarNode s) => s.Value,
                ("public" or "skip", YamlScalarNode s) when bool.TryParse(s.Value, out bool flag) => flag,
                ("scopes", YamlSequenceNode list) when list.Children.All(i => i is YamlScalarNode) =>
                    new JsonArray([.. list.Children.Select(i => JsonValue.Create(((YamlScalarNode)i).Value))]),
                _ => throw Bad(path, $"line {keyNode.Start.Line}: unexpected or malformed key '{key}' (a route has method, path, and scope, scopes with match, public: true or skip: true)"),
            };
        }

        return route;
    }

    private static string Scalar(YamlNode node) => (node as YamlScalarNode)?.Value ?? "";

    private static void CheckPlatform(string path, string? fileFor, string platformId)
    {
        if (fileFor is not null && fileFor != platformId)
        {
            throw Bad(path, $"the file is for platform '{fileFor}', not '{platformId}'; change its platform_id if you mean to reuse its routes");
        }
    }

    private static CliConfigurationException Bad(string path, string problem) => new($"--routes-file {path}: {problem}");
}
