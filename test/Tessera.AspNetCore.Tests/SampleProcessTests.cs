using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Tessera.AspNetCore.Tests.Infrastructure;

namespace Tessera.AspNetCore.Tests;

/// <summary>Black box: the real samples/PlatformApi as a separate process against a real broker.</summary>
public sealed class SampleProcessTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task SamplePlatformApi_ServesHealthAndVerifiesTokens_WhenRunAsProcess()
    {
        var broker = fixture.Broker;
        string token = await broker.TokenAsync(["orders:read"]);
        string dll = Path.Combine(AppContext.BaseDirectory, "PlatformApi.dll");
        Assert.True(File.Exists(dll), dll);
        string url = $"http://127.0.0.1:{VerifierIntegrationTests.FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url);
        start.Environment["TESSERA_BROKER"] = broker.Url;
        start.Environment["TESSERA_ISSUER"] = TesseraBroker.Issuer;
        start.Environment["TESSERA_PLATFORM_ID"] = TesseraBroker.Audience;
        start.Environment.Remove("TESSERA_SCOPES_FILE");

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
            var watch = Stopwatch.StartNew();
            HttpResponseMessage? health = null;
            while (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                Assert.False(process.HasExited, "the sample exited: " + output);
                try
                {
                    health = await client.GetAsync("/health");
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100);
                }
            }

            Assert.NotNull(health);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            using var withToken = new HttpRequestMessage(HttpMethod.Get, "/orders");
            withToken.Headers.Authorization = new("Bearer", token);
            var ok = await client.SendAsync(withToken);
            string okText = await ok.Content.ReadAsStringAsync();
            Assert.True(ok.StatusCode == HttpStatusCode.OK, okText + "\n" + output);
            Assert.Equal(Refusal.Payload(token)["sub"]!.GetValue<string>(), JsonNode.Parse(okText)!["agent"]!.GetValue<string>());

            var anonymous = await client.GetAsync("/orders");
            await Refusal.Assert401Async(anonymous, "MISSING_TOKEN", bearerError: null);

            var debug = await client.GetAsync("/internal/debug");
            await Refusal.AssertAsync(debug, HttpStatusCode.NotFound, "ROUTE_NOT_FOUND");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}
