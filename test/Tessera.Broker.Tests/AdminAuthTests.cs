using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

public sealed class AdminAuthTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    [Fact]
    public async Task AdminAuth_ReturnsAdminToken_WhenSecretIsRight()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = BrokerFixture.AdminSecret });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(300, body["expires_in"]!.GetValue<int>());
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        var claims = (await Broker.ValidateAsync(body["access_token"]!.GetValue<string>()))["claims"]!;
        Assert.Equal("admin", claims["sub"]!.GetValue<string>());
        Assert.Equal(
            ["admin:launch-tokens:*", "admin:revoke:*", "admin:audit:*", "admin:keys:*", "admin:apps:*", "admin:platforms:*", "admin:agents:*"],
            claims["scope"]!.AsArray().Select(s => s!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task AdminAuth_Returns401InvalidCredentials_WhenSecretIsWrong()
    {
        var response = await Broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "wrong-secret-wrong-secret" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal("unauthorized", problem["error_code"]!.GetValue<string>());
        Assert.Equal("invalid credentials", problem["detail"]!.GetValue<string>());
        Assert.Equal("/v1/admin/auth", problem["instance"]!.GetValue<string>());
        Assert.EndsWith("errors.md#unauthorized", problem["docs_url"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("empty secret", "{\"secret\":\"\"}", "secret is required")]
    [InlineData("missing secret", "{}", "secret is required")]
    [InlineData("old client_id format", "{\"client_id\":\"a\",\"client_secret\":\"b\"}", "Admin auth format changed. Use {\"secret\": \"...\"} instead of client_id/client_secret")]
    [InlineData("not JSON", "{secret:", "malformed JSON body")]
    [InlineData("secret not a string", "{\"secret\":42}", "malformed JSON body: field 'secret' has the wrong type or value")]
    public async Task AdminAuth_Returns400InvalidRequest_WhenBodyIsBad(string name, string body, string detail)
    {
        _ = name;
        var response = await Broker.Client.PostAsync("/v1/admin/auth", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await BrokerFixture.ProblemAsync(response);
        Assert.Equal("invalid_request", problem["error_code"]!.GetValue<string>());
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
    }
}

public sealed class AdminAuthRateLimitTests
{
    [Fact]
    public async Task AdminAuth_Returns429WithRetryAfter_WhenBurstIsExceeded()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["admin_auth_rate"] = "1", ["admin_auth_burst"] = "3" });
        var statuses = new List<HttpResponseMessage>();
        for (int i = 0; i < 6; i++)
        {
            statuses.Add(await broker.Client.PostAsJsonAsync("/v1/admin/auth", new { secret = "wrong-secret-wrong-secret" }));
        }

        var limited = statuses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.True(statuses.Take(3).All(r => r.StatusCode == HttpStatusCode.Unauthorized));
        var first = limited[0];
        Assert.True(int.TryParse(first.Headers.GetValues("Retry-After").Single(), out int seconds) && seconds >= 1);
        var problem = await BrokerFixture.ProblemAsync(first);
        Assert.Equal("rate_limited", problem["error_code"]!.GetValue<string>());
    }
}

public sealed class PublicRateLimitTests
{
    [Fact]
    public async Task Challenge_Returns429_WhenOneAddressExceedsThePublicBurst()
    {
        await using var broker = await BrokerFixture.StartAsync(new Dictionary<string, string?> { ["public_rate"] = "1", ["public_burst"] = "5" });
        var responses = new List<HttpResponseMessage>();
        for (int i = 0; i < 8; i++)
        {
            responses.Add(await broker.Client.GetAsync("/v1/challenge"));
        }

        Assert.True(responses.Take(5).All(r => r.StatusCode == HttpStatusCode.OK));
        var limited = responses.Skip(5).Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.Equal("rate_limited", (await BrokerFixture.ProblemAsync(limited[0]))["error_code"]!.GetValue<string>());
    }
}
