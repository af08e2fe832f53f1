using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tessera.AspNetCore.Authentication;
using Tessera.AspNetCore.Keys;
using Tessera.AspNetCore.Revocation;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>Helpers for the revocation-feed tests: the API's view, its gauge, broker calls, waiting on a condition.</summary>
internal static class FeedHelpers
{
    /// <summary>The revocation view the API's default scheme built (after its first authenticated request).</summary>
    public static RevocationView ViewOf(ProtectedApi api) =>
        api.Services.GetRequiredService<TesseraVerifierCache>().RevocationsOf(TesseraAuthenticationExtensions.DefaultScheme)
        ?? throw new InvalidOperationException("the scheme has no revocation view yet");

    /// <summary>A view over <paramref name="authority"/> built directly, with its own HTTP client.</summary>
    public static (RevocationView View, HttpClient Http) StartView(string authority, TimeProvider time, ILogger logger, RevocationViewOptions? options = null, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false });
        var jwks = new JwksCache(http, new Uri(authority + "/.well-known/jwks.json"), Tessera.Keys.SigningAlgorithm.RS256, time, new JwksCacheOptions());
        var view = new RevocationView(http, new Uri(authority), jwks, time, logger, options ?? new RevocationViewOptions());
        return (view, http);
    }

    /// <summary>What the gauge <c>tessera.verifier.revocation_entries</c> reports for the view of <paramref name="authority"/>; -1 if none.</summary>
    public static long EntriesGauge(string authority)
    {
        long value = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tessera.AspNetCore" && instrument.Name == "tessera.verifier.revocation_entries")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "tessera.authority" && tag.Value as string == authority)
                {
                    value = measurement;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    /// <summary>Waits (up to 20 s of real time) until <paramref name="condition"/> holds; fails with <paramref name="what"/> otherwise.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "timed out waiting until " + what);
            await Task.Delay(10);
        }
    }

    public static async Task<HttpResponseMessage> GetOrdersAsync(ProtectedApi api, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await api.Client.SendAsync(request);
    }

    /// <summary>POSTs with a bearer token at the broker; asserts success and returns the body.</summary>
    public static async Task<JsonObject?> PostAsync(TesseraBroker broker, string path, string bearer, object? body = null, int status = 200)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = await broker.Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject();
    }

    public static string Claim(string token, string name) => Refusal.Payload(token)[name]!.GetValue<string>();

    public static long NumericClaim(string token, string name) => Refusal.Payload(token)[name]!.GetValue<long>();
}
