using Microsoft.Extensions.Configuration;
using Tessera.AspNetCore.Authentication;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Security finding 18.5 (transport): plain http:// to a non-loopback broker, JWKS or report
/// endpoint is refused unless AllowInsecureHttp is set, as in the agent SDK; the platform's
/// credentials are set in pairs.
/// </summary>
public sealed class VerifierTransportOptionsTests
{
    [Theory]
    [InlineData("Authority", "http://broker.example")]
    [InlineData("JwksUri", "http://keys.example/jwks.json")]
    [InlineData("Reporting.Endpoint", "http://reports.example/v1/enforcement/reports")]
    [InlineData("Authority", "http://10.0.0.7:8080")]
    public void Validate_ThrowsNamingTheSetting_WhenPlainHttpGoesToANonLoopbackHost(string setting, string url)
    {
        var options = Options(setting, url);

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowInsecureHttp", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Authority", "http://127.0.0.1:8080", false)]
    [InlineData("Authority", "http://localhost:8080", false)]
    [InlineData("Authority", "http://[::1]:8080", false)]
    [InlineData("Authority", "https://broker.example", false)]
    [InlineData("JwksUri", "https://keys.example/jwks.json", false)]
    [InlineData("Authority", "http://broker.example", true)]
    [InlineData("JwksUri", "http://keys.example/jwks.json", true)]
    [InlineData("Reporting.Endpoint", "http://reports.example/v1/enforcement/reports", true)]
    public void Validate_Accepts_WhenPlainHttpGoesToLoopbackOrIsAllowed(string setting, string url, bool allowInsecureHttp)
    {
        var options = Options(setting, url);
        options.AllowInsecureHttp = allowInsecureHttp;

        options.Validate();
    }

    [Fact]
    public void Validate_Throws_WhenTheUrlIsNotHttp()
    {
        var error = Assert.Throws<InvalidOperationException>(Options("Authority", "ftp://broker.example").Validate);

        Assert.Contains("http(s)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tsr_kid_x", null)]
    [InlineData(null, "tsr_sk_x")]
    public void Validate_Throws_WhenOnlyOneOfThePlatformCredentialsIsSet(string? clientId, string? clientSecret)
    {
        var options = Options("Authority", "https://broker.example");
        options.ClientId = clientId;
        options.ClientSecret = clientSecret;

        var error = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains("ClientId and ClientSecret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ReadsThePlatformCredentialsTransportAndCap_FromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tessera:Authority"] = "http://broker.internal",
            ["Tessera:Audience"] = "orders-api",
            ["Tessera:ClientId"] = "tsr_kid_orders",
            ["Tessera:ClientSecret"] = "tsr_sk_secret",
            ["Tessera:AllowInsecureHttp"] = "true",
            ["Tessera:RevocationMaxEntries"] = "1000",
        }).Build();
        var options = new TesseraAuthenticationOptions();

        configuration.GetSection("Tessera").Bind(options);
        options.Validate();

        Assert.Equal("tsr_kid_orders", options.ClientId);
        Assert.Equal("tsr_sk_secret", options.ClientSecret);
        Assert.True(options.AllowInsecureHttp);
        Assert.Equal(1000, options.RevocationMaxEntries);
    }

    [Fact]
    public void VerifierCache_Refuses_WhenOptionsThatSkippedValidationUsePlainHttpToANonLoopbackHost()
    {
        using var cache = new TesseraVerifierCache(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var options = Options("Authority", "http://broker.example");

        var error = Assert.Throws<InvalidOperationException>(() => cache.For("Tessera", options));

        Assert.Contains("AllowInsecureHttp", error.Message, StringComparison.Ordinal);
    }

    private static TesseraAuthenticationOptions Options(string setting, string url)
    {
        var options = new TesseraAuthenticationOptions { Authority = "https://broker.example", Audience = "orders-api" };
        switch (setting)
        {
            case "Authority":
                options.Authority = url;
                break;
            case "JwksUri":
                options.JwksUri = url;
                break;
            default:
                options.Reporting.ClientId = "tsr_kid_x";
                options.Reporting.ClientSecret = "tsr_sk_x";
                options.Reporting.Endpoint = url;
                break;
        }

        return options;
    }
}
