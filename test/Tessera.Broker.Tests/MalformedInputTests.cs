using System.Net;
using System.Text;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>Hostile and broken bodies to every endpoint: always a 4xx with a code, never a 5xx.</summary>
public sealed class MalformedInputTests(SharedBroker shared) : IClassFixture<SharedBroker>
{
    private BrokerFixture Broker => shared.Broker;

    public static readonly string[] PostEndpoints =
        ["/v1/admin/auth", "/v1/admin/launch-tokens", "/v1/register", "/v1/token/validate", "/v1/token/renew", "/v1/token/release"];

    public static TheoryData<string, string> Bodies()
    {
        var data = new TheoryData<string, string>();
        string[] bodies =
        [
            "", "null", "[]", "{", "}", "\"string\"", "42", "true", "{\"a\":}", "{\"secret\":null}",
            "{\"launch_token\":123,\"nonce\":[],\"public_key\":{},\"signature\":true}",
            "{\"requested_scope\":\"read:data:*\"}", "{\"requested_scope\":[null, 1]}", "{\"allowed_scope\":[\"a:b\"],\"agent_name\":{}}",
            "{\"token\":\"" + new string('a', 100_000) + "\"}", new string('[', 5000) + new string(']', 5000),
            "{\"nonce\":\"zz\",\"launch_token\":\"x\",\"public_key\":\"%%%\",\"signature\":\"***\",\"orch_id\":\"a\",\"task_id\":\"b\",\"requested_scope\":[\"a:b\"]}",
            "{\"max_ttl\":1e400,\"ttl\":99999999999999999999}", "\u0000\u0001\u0002", "{\"secret\":\"\\ud800\"}",
        ];
        foreach (var endpoint in PostEndpoints)
        {
            foreach (var body in bodies)
            {
                data.Add(endpoint, body);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Post_AnswersWithACodeNot5xx_WhenBodyIsMalformed(string endpoint, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (endpoint is "/v1/admin/launch-tokens")
        {
            request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());
        }

        var response = await Broker.Client.SendAsync(request);

        Assert.InRange((int)response.StatusCode, 200, 499);
        if ((int)response.StatusCode >= 400)
        {
            var problem = await BrokerFixture.ProblemAsync(response);
            Assert.False(string.IsNullOrEmpty(problem["error_code"]!.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData("/v1/admin/auth")]
    [InlineData("/v1/register")]
    [InlineData("/v1/token/validate")]
    public async Task Post_Returns413_WhenBodyExceeds1MB(string endpoint)
    {
        // Expect: 100-continue lets the broker refuse on Content-Length before the client sends the body,
        // as a careful client would; without it the early answer can race the upload.
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent("{\"secret\":\"" + new string('a', 1_100_000) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;

        var response = await Broker.Client.SendAsync(request);

        await RegistrationTests.AssertProblem(response, 413, "payload_too_large", "request body must not exceed 1 MB");
    }

    [Fact]
    public async Task Post_Returns413_WhenChunkedBodyExceeds1MB()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"token\":\"" + new string('a', 1_100_000) + "\"}")));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token/validate") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await BrokerFixture.ProblemAsync(response))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_Returns415_WhenBodyIsNotJson()
    {
        var response = await Broker.Client.PostAsync("/v1/admin/auth", new StringContent("secret=x", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await RegistrationTests.AssertProblem(response, 415, "unsupported_media_type", "Content-Type must be application/json");
    }

    [Fact]
    public async Task UnknownPath_Returns404Problem()
    {
        var response = await Broker.Client.GetAsync("/v1/nope");

        await RegistrationTests.AssertProblem(response, 404, "not_found", "no such endpoint");
    }

    [Fact]
    public async Task WrongMethod_Returns405Problem()
    {
        var response = await Broker.Client.GetAsync("/v1/register");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("method_not_allowed", (await BrokerFixture.ProblemAsync(response))["error_code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("Bearer a.b")]
    [InlineData("Bearer ....")]
    [InlineData("Bearer eyJhbGciOiJub25lIn0.e30.")]
    [InlineData("bearer x.y.z")]
    public async Task Renew_Returns401_WhenBearerIsJunk(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/token/renew");
        request.Headers.TryAddWithoutValidation("Authorization", header);

        var response = await Broker.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", (await BrokerFixture.ProblemAsync(response))["error_code"]!.GetValue<string>());
    }
}
