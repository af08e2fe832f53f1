using Npgsql;
using Tessera.Storage.PostgreSql;

namespace Tessera.Storage.Tests.PostgreSql;

public sealed class PostgreSqlConnectionStringTests
{
    [Theory]
    [InlineData("postgres://tessera:secret@db.example.test:5433/tessera")]
    [InlineData("postgresql://db.example.test/tessera")]
    [InlineData("POSTGRES://db/tessera")]
    [InlineData("Host=db.example.test;Username=tessera;Database=tessera")]
    [InlineData("  host = db ; database = tessera")]
    [InlineData("Server=db;Database=tessera")]
    [InlineData("Database=tessera;Host=db")]
    public void IsPostgreSql_ReturnsTrue_WhenValueNamesAServer(string value)
    {
        Assert.True(PostgreSqlConnectionString.IsPostgreSql(value));
    }

    [Theory]
    [InlineData("./.tessera/tessera.db")]
    [InlineData("/var/lib/tessera/tessera.db")]
    [InlineData("C:\\tessera\\tessera.db")]
    [InlineData("data/host=1/tessera.db")]
    [InlineData("tessera.db;Database=x")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void IsPostgreSql_ReturnsFalse_WhenValueIsAFilePath(string? value)
    {
        Assert.False(PostgreSqlConnectionString.IsPostgreSql(value));
    }

    [Fact]
    public void Normalize_ReturnsEveryPart_WhenUrlHasUserPasswordPortDatabaseAndOptions()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            PostgreSqlConnectionString.Normalize("postgres://tes%40sera:p%3Ass%2Fw0rd@db.example.test:5433/tessera%2Dprod?sslmode=require&application_name=broker-a"));

        Assert.Equal("db.example.test", builder.Host);
        Assert.Equal(5433, builder.Port);
        Assert.Equal("tes@sera", builder.Username);
        Assert.Equal("p:ss/w0rd", builder.Password);
        Assert.Equal("tessera-prod", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal("broker-a", builder.ApplicationName);
    }

    [Fact]
    public void Normalize_UsesPort5432_WhenUrlHasNoPort()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize("postgresql://tessera@127.0.0.1/tessera"));

        Assert.Equal("127.0.0.1", builder.Host);
        Assert.Equal(5432, builder.Port);
        Assert.Equal("tessera", builder.Username);
        Assert.Null(builder.Password);
    }

    [Fact]
    public void Normalize_KeepsConnectionString_WhenGivenOne()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgreSqlConnectionString.Normalize("Host=db;Port=6000;Username=u;Password=p;Database=d"));

        Assert.Equal(("db", 6000, "u", "p", "d"), (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database));
    }

    [Theory]
    [InlineData("postgres://user:pw@/tessera")]
    [InlineData("postgres://db/tessera?no_such_keyword=1")]
    [InlineData("Host=db;No Such Keyword=1")]
    [InlineData("Host=;Database=tessera")]
    public void TryNormalize_ReturnsFalseWithoutThePassword_WhenValueIsUnusable(string value)
    {
        Assert.False(PostgreSqlConnectionString.TryNormalize(value, out _, out string error));

        Assert.NotEmpty(error);
        Assert.DoesNotContain("pw", error, StringComparison.Ordinal);
    }
}
