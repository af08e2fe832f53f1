using System.Text.Json.Nodes;

namespace Tessera.Cli.Admin;

/// <summary>
/// The human output of the platform and agent verbs: one <c>key: value</c> line per field, lists
/// joined by spaces, objects as <c>k=v</c>, and lists of objects (routes, grants) as a count
/// followed by one indented line per item.
/// </summary>
internal static class FieldWriter
{
    public static async Task WriteAsync(TextWriter output, JsonObject fields)
    {
        foreach (var (key, value) in fields)
        {
            if (value is JsonArray array && array.Count > 0 && array.All(v => v is JsonObject))
            {
                await output.WriteLineAsync($"{key + ":",-30} {array.Count}");
                foreach (var item in array)
                {
                    await output.WriteLineAsync("  " + Item(key, item!.AsObject()));
                }

                continue;
            }

            await output.WriteLineAsync($"{key + ":",-30} {Text(value)}");
        }
    }

    /// <summary>A value on one line; "-" for null or empty.</summary>
    public static string Text(JsonNode? value)
    {
        string text = value switch
        {
            null => "",
            JsonArray array => string.Join(' ', array.Select(Text)),
            JsonObject obj => string.Join(' ', obj.Select(p => $"{TerminalText.Escape(p.Key)}={Text(p.Value)}")),
            _ => TerminalText.Escape(value.ToString()),
        };
        return text.Length == 0 ? "-" : text;
    }

    private static string Item(string key, JsonObject item) => key switch
    {
        "routes" => $"{Text(item["method"]),-7} {Text(item["path"]),-40} {Rule(item)}",
        "grants" => $"{Text(item["platform_id"]),-24} {Text(item["scopes"])}",
        _ => Text(item),
    };

    /// <summary>What a route requires: its scope(s) with the match mode, or public / skip.</summary>
    private static string Rule(JsonObject route)
    {
        if (route["public"]?.GetValue<bool>() == true)
        {
            return "public";
        }

        if (route["skip"]?.GetValue<bool>() == true)
        {
            return "skip";
        }

        string scopes = Text(route["scope"] ?? route["scopes"]);
        return route["match"] is { } match ? $"{scopes} (match {match})" : scopes;
    }
}
