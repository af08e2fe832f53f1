using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Broker.Tests.Infrastructure;

namespace Tessera.Broker.Tests;

/// <summary>
/// Security review 17.10: a JSON body whose text is not valid UTF-8 (raw bytes, or an escaped half of a
/// surrogate pair) answered 500 with a stack trace at <c>POST /v1/token</c>. Every JSON endpoint answers
/// 400 <c>invalid_request</c> instead.
/// </summary>
public sealed class InvalidUtf8BodyTests(SharedAppBroker shared) : IClassFixture<SharedAppBroker>
{
    private BrokerFixture Broker => shared.Broker;

    public static TheoryData<string, string, bool> Cases()
    {
        string[] endpoints =
        [
            "/v1/token", "/v1/register", "/v1/admin/auth", "/v1/token/validate", "/v1/app/auth",
            "/v1/admin/launch-tokens", "/v1/admin/apps", "/v1/admin/platforms", "/v1/admin/agents", "/v1/revoke",
        ];
        string[] bodies = ["raw-value", "raw-name", "escaped-value", "escaped-name"];
        var data = new TheoryData<string, string, bool>();
        foreach (string endpoint in endpoints)
        {
            foreach (string body in bodies)
            {
                data.Add(endpoint, body, endpoint.StartsWith("/v1/admin/", StringComparison.Ordinal) && endpoint != "/v1/admin/auth" || endpoint == "/v1/revoke");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Post_Returns400InvalidRequest_WhenJsonTextIsNotUtf8(string endpoint, string body, bool admin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(Body(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (admin)
        {
            request.Headers.Authorization = new("Bearer", await Broker.AdminTokenAsync());
        }

        var response = await Broker.Client.SendAsync(request);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(400 == (int)response.StatusCode, $"{endpoint} {body}: {(int)response.StatusCode} {text}");
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("invalid_request", json["error_code"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    private static byte[] Body(string kind)
    {
        // Fields every endpoint above reads, so the bad text sits where the handler would look.
        string fields = "\"grant_type\":\"client_credentials\",\"client_id\":\"x\",\"secret\":\"s\",\"token\":\"t\",\"agent_name\":\"n\"";
        return kind switch
        {
            "raw-value" => [.. Encoding.UTF8.GetBytes("{" + fields + ",\"resource\":\"a"), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}")],
            "raw-name" => [.. Encoding.UTF8.GetBytes("{" + fields + ",\"a"), 0xC3, .. Encoding.UTF8.GetBytes("\":\"x\"}")],
            "escaped-value" => Encoding.UTF8.GetBytes("{" + fields + ",\"resource\":\"\\ud800\"}"),
            _ => Encoding.UTF8.GetBytes("{" + fields + ",\"\\udc00x\":\"v\"}"),
        };
    }
}
