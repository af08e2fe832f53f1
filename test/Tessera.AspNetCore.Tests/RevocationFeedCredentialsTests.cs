using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Tests.Infrastructure;
using static Tessera.AspNetCore.Tests.Infrastructure.FeedHelpers;

namespace Tessera.AspNetCore.Tests;

/// <summary>
/// Security finding 17.2 (verifier half): the verifier authenticates to the revocation feed with
/// the platform's credentials (HTTP Basic), says once and clearly when the broker refuses them,
/// and honours a 429's Retry-After.
/// </summary>
public sealed class RevocationFeedCredentialsTests
{
    private const string ClientId = "tsr_kid_orders";
    private const string ClientSecret = "tsr_sk_0123456789abcdef:+/";

    [Theory]
    [InlineData("platform")]
    [InlineData("reporting")]
    public async Task RevocationFeed_SendsThePlatformCredentialsAsBasic_OnThePollAndTheStream(string where)
    {
        using var issuer = new TestIssuer();
        await using var fake = await FakeFeedBroker.StartAsync(issuer);
        await using var api = await ProtectedApi.StartAsync(fake.Url, TestIssuer.Url, TestIssuerApi.Scopes, configure: o =>
        {
            o.Algorithm = "RS256";
            if (where == "platform")
            {
                o.ClientId = ClientId;
                o.ClientSecret = ClientSecret;
            }
            else
            {
                o.Reporting.ClientId = ClientId;
                o.Reporting.ClientSecret = ClientSecret;
            }
        });

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()))).StatusCode);
        await WaitUntilAsync(() => fake.Count("/v1/revocations/stream") >= 1, "the view follows the stream");

        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(ClientId) + ":" + WebUtility.UrlEncode(ClientSecret)));
        Assert.All(fake.Requests, r => Assert.Equal(expected, r.Authorization));
        Assert.Contains(fake.Requests, r => r.Path == "/v1/revocations");
    }

    [Fact]
    public async Task RevocationFeed_LogsOnceNamingTheFixAndFollowsTheStalenessRule_WhenTheBrokerAnswers401()
    {
        using var issuer = new TestIssuer();
        await using var fake = await FakeFeedBroker.StartAsync(issuer);
        fake.Poll = context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        };
        var logs = new CapturedLogs();
        await using var api = await ProtectedApi.StartAsync(fake.Url, TestIssuer.Url, TestIssuerApi.Scopes, configure: o =>
        {
            o.Algorithm = "RS256";
            o.RevocationStartupWait = TimeSpan.FromMilliseconds(100);
        }, logging: logs.AddTo);
        var old = TestIssuer.Claims();
        old["iat"] = old["iat"]!.GetValue<long>() - 120;

        var fresh = await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()));
        await WaitUntilAsync(() => fake.Count("/v1/revocations") >= 3, "the view retried");
        var stale = await api.GetAsync("/orders", issuer.Sign(old));

        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var body = await Refusal.Assert401Async(stale, "TOKEN_REVOKED", "invalid_token");
        Assert.Contains("stale", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var line = Assert.Single(logs.Lines, l => l.Id.Id == 5102);
        Assert.Contains("Tessera:ClientId", line.Text, StringComparison.Ordinal);
        Assert.Contains("none are configured", line.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevocationFeed_LogsTheRefusalWithoutTheSecret_WhenTheBrokerRefusesTheCredentials()
    {
        using var issuer = new TestIssuer();
        await using var fake = await FakeFeedBroker.StartAsync(issuer);
        fake.Poll = context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        };
        var logs = new CapturedLogs();
        await using var api = await ProtectedApi.StartAsync(fake.Url, TestIssuer.Url, TestIssuerApi.Scopes, configure: o =>
        {
            o.Algorithm = "RS256";
            o.ClientId = ClientId;
            o.ClientSecret = ClientSecret;
            o.RevocationStartupWait = TimeSpan.FromMilliseconds(100);
        }, logging: logs.AddTo);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/orders", issuer.Sign(TestIssuer.Claims()))).StatusCode);
        await WaitUntilAsync(() => fake.Count("/v1/revocations") >= 2, "the view retried");

        var line = Assert.Single(logs.Lines, l => l.Id.Id == 5102);
        Assert.Contains("the broker refused them", line.Text, StringComparison.Ordinal);
        string basic = fake.Requests[0].Authorization!["Basic ".Length..];
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains(ClientSecret, StringComparison.Ordinal) || l.Text.Contains(basic, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RevocationStream_WaitsTheRetryAfter_WhenTheBrokerAnswers429()
    {
        await using var fake = await FakeFeedBroker.StartAsync();
        fake.Stream = context =>
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "120";
            return Task.CompletedTask;
        };
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var logs = new CapturedLogs();
        var (view, http) = StartView(fake.Url, clock, logs.CreateLogger("Tessera.Revocation"));
        using var _ = http;
        using var __ = view;

        await view.EnsureStartedAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => logs.Lines.Any(l => l.Id.Id == 5103), "the 429 is logged");

        // Move the view's clock a second at a time until it reconnects: not before the 120 s asked.
        var advanced = TimeSpan.Zero;
        while (fake.Count("/v1/revocations") < 2)
        {
            Assert.True(advanced < TimeSpan.FromMinutes(10), "the view never reconnected");
            clock.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            await Task.Delay(5);
        }

        Assert.True(advanced >= TimeSpan.FromSeconds(120), $"reconnected after {advanced.TotalSeconds} s of a 120 s Retry-After");
    }
}
