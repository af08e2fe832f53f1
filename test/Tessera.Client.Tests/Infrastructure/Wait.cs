using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Tessera.Client.Tests.Infrastructure;

/// <summary>Polling and token helpers shared by the integration tests.</summary>
public static class Wait
{
    /// <summary>Marks the probes of <see cref="UntilPlatformRefusesAsync"/>, so request counts can leave them out.</summary>
    public const string ProbeHeader = "X-Test-Probe";

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(seconds), $"waited {seconds} s for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the platform refuses <paramref name="token"/> (it learns revocations from the broker's feed).</summary>
    public static Task UntilPlatformRefusesAsync(OrdersPlatform platform, string token) =>
        UntilAsync(
            async () =>
            {
                using var raw = new HttpClient { BaseAddress = platform.BaseAddress };
                using var request = new HttpRequestMessage(HttpMethod.Get, "orders");
                request.Headers.Authorization = new("Bearer", token);
                request.Headers.Add(ProbeHeader, "1");
                using var response = await raw.SendAsync(request);
                return response.StatusCode == HttpStatusCode.Unauthorized;
            },
            "the platform to refuse the revoked token");

    /// <summary>The unverified payload of a JWT.</summary>
    public static JsonObject Payload(string token) => JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[1]))!.AsObject();
}
