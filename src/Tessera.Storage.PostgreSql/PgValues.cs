using Npgsql;
using NpgsqlTypes;

namespace Tessera.Storage.PostgreSql;

/// <summary>Parameter values in the shapes the schema stores.</summary>
internal static class PgValues
{
    /// <summary>A list as a <c>text[]</c> value.</summary>
    public static string[] Array(IReadOnlyList<string> values) => values as string[] ?? [.. values];

    /// <summary>A nullable <c>text[]</c> parameter: null leaves the column as it is in <c>COALESCE(@p, column)</c>.</summary>
    public static NpgsqlParameter NullableArray(string name, IReadOnlyList<string>? values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values is null ? DBNull.Value : Array(values) };

    /// <summary>A nullable parameter of a given type.</summary>
    public static NpgsqlParameter Nullable(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };
}
