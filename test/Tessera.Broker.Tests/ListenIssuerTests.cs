using Tessera.Broker.Hosting;

namespace Tessera.Broker.Tests;

/// <summary>The issuer a first listen URL stands for when none is configured, per command.</summary>
public sealed class ListenIssuerTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080", false)]
    [InlineData("http://127.0.0.1:8080/", "http://127.0.0.1:8080", false)]
    [InlineData("HTTP://127.0.0.1:9000", "http://127.0.0.1:9000", false)]
    [InlineData("http://localhost:8080", "http://localhost:8080", false)]
    [InlineData("http://[::1]:8080", "http://[::1]:8080", false)]
    [InlineData("https://127.0.0.2", "https://127.0.0.2", false)]
    [InlineData("http://127.0.0.1:0", "http://127.0.0.1:0", true)]
    public void FromUrl_IsTheLoopbackUrl_ForServeAndDev(string url, string issuer, bool pending)
    {
        foreach (var policy in new[] { IssuerDefault.LoopbackListenUrl, IssuerDefault.AnyListenUrl })
        {
            var result = ListenIssuer.FromUrl(url, policy);

            Assert.Null(result.Problem);
            Assert.Equal(issuer, result.Issuer);
            Assert.Equal(pending, result.PortPending);
            Assert.True(result.Loopback);
        }
    }

    [Theory]
    [InlineData("http://10.0.0.5:8080", "http://10.0.0.5:8080")]
    [InlineData("http://tessera.internal:8080", "http://tessera.internal:8080")]
    public void FromUrl_IsTheUrlForDevOnly_WhenTheHostIsNotLoopback(string url, string issuer)
    {
        Assert.Equal(issuer, ListenIssuer.FromUrl(url, IssuerDefault.AnyListenUrl).Issuer);

        var serve = ListenIssuer.FromUrl(url, IssuerDefault.LoopbackListenUrl);

        Assert.Null(serve.Issuer);
        Assert.StartsWith($"TESSERA_ISSUER is not set and {url} is not a loopback address", serve.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    public void FromUrl_IsRefusedForBoth_WhenTheUrlListensOnEveryInterface(string url)
    {
        foreach (var policy in new[] { IssuerDefault.LoopbackListenUrl, IssuerDefault.AnyListenUrl })
        {
            var result = ListenIssuer.FromUrl(url, policy);

            Assert.Null(result.Issuer);
            Assert.StartsWith($"TESSERA_ISSUER is not set and {url} listens on every interface", result.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FromBound_IsTheBoundAddressOfTheFirstUrl_WhenItsPortWasZero()
    {
        string[] bound = ["http://127.0.0.2:41000", "http://127.0.0.1:42000/"];

        Assert.Equal("http://127.0.0.1:42000", ListenIssuer.FromBound("http://127.0.0.1:0", bound));
    }
}
