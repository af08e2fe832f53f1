using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>Admin calls against the test broker.</summary>
internal static class BrokerAdmin
{
    /// <summary>POSTs <paramref name="body"/> with the admin token and asserts the status.</summary>
    public static async Task<JsonObject> PostAsync(TesseraBroker broker, string admin, string path, JsonObject body, int status = 201)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
