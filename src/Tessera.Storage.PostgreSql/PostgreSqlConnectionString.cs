using Npgsql;

namespace Tessera.Storage.PostgreSql;

/// <summary>
/// Tells a PostgreSQL database apart from a SQLite file in one setting (<c>TESSERA_DB</c>,
/// <c>--db</c>), and turns the URL form into an Npgsql connection string. PostgreSQL is named by
/// a URL, <c>postgres://user:password@host:port/database?sslmode=require</c> (or
/// <c>postgresql://</c>), or by an Npgsql connection string with a <c>Host</c>
/// (<c>Host=db;Username=tessera;Database=tessera</c>); anything else is a file path.
/// </summary>
public static class PostgreSqlConnectionString
{
    private const int DefaultPort = 5432;

    /// <summary>True when <paramref name="value"/> names a PostgreSQL database rather than a file.</summary>
    public static bool IsPostgreSql(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        string trimmed = value.Trim();
        if (IsUrl(trimmed))
        {
            return true;
        }

        if (!trimmed.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string part in trimmed.Split(';'))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part[..equals].Trim() is var key
                && (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The Npgsql connection string for <paramref name="value"/> (a URL or a connection string);
    /// false with a reason when it is not a usable one. The reason never repeats the password.
    /// </summary>
    public static bool TryNormalize(string value, out string connectionString, out string error)
    {
        ArgumentNullException.ThrowIfNull(value);
        connectionString = "";
        error = "";
        string trimmed = value.Trim();
        try
        {
            var builder = IsUrl(trimmed) ? FromUrl(trimmed) : new NpgsqlConnectionStringBuilder(trimmed);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                error = "a PostgreSQL connection needs a host";
                return false;
            }

            connectionString = builder.ConnectionString;
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or InvalidCastException or OverflowException)
        {
            error = IsUrl(trimmed)
                ? "not a valid PostgreSQL URL (postgres://user:password@host:port/database)"
                : "not a valid PostgreSQL connection string (Host=...;Username=...;Database=...)";
            return false;
        }
    }

    /// <summary>Like <see cref="TryNormalize"/>, for input already validated.</summary>
    /// <exception cref="FormatException">Not a usable PostgreSQL URL or connection string.</exception>
    public static string Normalize(string value) =>
        TryNormalize(value, out string connectionString, out string error) ? connectionString : throw new FormatException(error);

    private static bool IsUrl(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    private static NpgsqlConnectionStringBuilder FromUrl(string value)
    {
        var uri = new Uri(value, UriKind.Absolute);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host,
            Port = uri.Port > 0 ? uri.Port : DefaultPort,
        };

        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            string setting = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);

            // libpq's names for what Npgsql spells differently; any other key is taken as an Npgsql keyword.
            builder[key.ToLowerInvariant() switch
            {
                "sslmode" => "SSL Mode",
                "connect_timeout" => "Timeout",
                "application_name" => "Application Name",
                "options" => "Options",
                _ => key,
            }] = setting;
        }

        return builder;
    }
}
