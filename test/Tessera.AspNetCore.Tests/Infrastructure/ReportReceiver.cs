using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>One enforcement report as received: the Authorization header, content type and JSON body.</summary>
public sealed record ReceivedReport(string? Authorization, string? ContentType, JsonObject Body)
{
    public IReadOnlyList<JsonObject> Events => [.. Body["events"]!.AsArray().Select(e => e!.AsObject())];
}

/// <summary>
/// A stand-in for the broker's <c>POST /v1/enforcement/reports</c> on a loopback Kestrel port:
/// records every report, answers <see cref="Status"/> (202 by default), optionally after <see cref="Delay"/>.
/// </summary>
public sealed class ReportReceiver : IAsyncDisposable
{
    public const string Path = "/v1/enforcement/reports";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedReport> _reports = new();
    private readonly CancellationTokenSource _closing = new();

    private ReportReceiver(WebApplication app) => _app = app;

    public string Endpoint => _app.Urls.First().TrimEnd('/') + Path;

    public int Status { get; set; } = 202;

    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    /// <summary>Reports received so far, including ones still being answered.</summary>
    public IReadOnlyList<ReceivedReport> Reports => [.. _reports];

    public IReadOnlyList<JsonObject> Events => [.. Reports.SelectMany(r => r.Events)];

    public long OutcomeCount => Events.Sum(e => e["count"]!.GetValue<long>());

    public static async Task<ReportReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new ReportReceiver(app);
        app.MapPost(Path, async (HttpContext http) =>
        {
            var body = (await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body))!;
            receiver._reports.Enqueue(new ReceivedReport(http.Request.Headers.Authorization, http.Request.ContentType, body));
            if (receiver.Delay != TimeSpan.Zero)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, receiver._closing.Token);
                try
                {
                    await Task.Delay(receiver.Delay, linked.Token);
                }
                catch (OperationCanceledException)
                {
                    return Results.StatusCode(499);
                }
            }

            int accepted = body["events"]!.AsArray().Count;
            return Results.Json(new { accepted, ignored = 0, suspended = Array.Empty<string>() }, statusCode: receiver.Status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits until the reports received carry at least <paramref name="outcomes"/> outcomes.</summary>
    public async Task WaitForOutcomesAsync(long outcomes, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (OutcomeCount < outcomes)
        {
            Assert.True(watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)), $"received {OutcomeCount} of {outcomes} outcomes");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _closing.Dispose();
    }
}
