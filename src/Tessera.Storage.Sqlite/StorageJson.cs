using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Storage.Sqlite;

[JsonSerializable(typeof(string[]))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;

/// <summary>Lists stored as JSON text columns.</summary>
internal static class StorageJson
{
    public static string Write(IReadOnlyList<string> values) =>
        JsonSerializer.Serialize(values as string[] ?? [.. values], StorageJsonContext.Default.StringArray);

    public static string[] Read(string json) =>
        JsonSerializer.Deserialize(json, StorageJsonContext.Default.StringArray) ?? [];
}
