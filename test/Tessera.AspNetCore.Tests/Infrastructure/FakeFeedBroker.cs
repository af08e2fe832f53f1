using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A fake broker on a loopback port: a JWKS (of a <see cref="TestIssuer"/>, if given) and a
/// revocation feed whose poll and stream answers each test scripts. Records every feed request's
/// path and <c>Authorization</c> header.
/// </summary>
public sealed class FakeFeedBroker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, string? Authorization)> _requests = new();

    private FakeFeedBroker(WebApplication app) => _app = app;

    /// <summary>Answers <c>GET /v1/revocations</c>; default an empty page.</summary>
    public Func<HttpContext, Task> Poll { get; set; } = context => WritePageAsync(context, "");

    /// <summary>Answers <c>GET /v1/revocations/stream</c>; default a stream that stays open with nothing to say.</summary>
    public Func<HttpContext, Task> Stream { get; set; } = async context =>
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync(": fake\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
    };

    public string Url => _app.Urls.First().TrimEnd('/');

    public IReadOnlyList<(string Path, string? Authorization)> Requests => [.. _requests];

    public int Count(string path) => _requests.Count(r => r.Path == path);

    public static async Task<FakeFeedBroker> StartAsync(TestIssuer? issuer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var broker = new FakeFeedBroker(app);
        app.MapGet("/.well-known/jwks.json", () => Results.Text(issuer?.Jwks?.ToJsonString() ?? "{\"keys\":[]}", "application/json"));
        app.MapGet("/v1/revocations", context =>
        {
            broker._requests.Enqueue((context.Request.Path, context.Request.Headers.Authorization));
            return broker.Poll(context);
        });
        app.MapGet("/v1/revocations/stream", async context =>
        {
            broker._requests.Enqueue((context.Request.Path, context.Request.Headers.Authorization));
            try
            {
                await broker.Stream(context);
            }
            catch (OperationCanceledException)
            {
                // The verifier hung up.
            }
            catch (IOException)
            {
            }
        });
        await app.StartAsync();
        return broker;
    }

    /// <summary>One entry of the feed, as the broker writes it.</summary>
    public static string Entry(long seq, string level, string target, DateTimeOffset expires) =>
        $"{{\"seq\":{seq},\"level\":\"{level}\",\"target\":\"{target}\",\"reason\":\"test\",\"revoked_at\":\"{DateTimeOffset.UnixEpoch:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"expires_at\":\"{expires.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\"}}";

    /// <summary>Writes a page holding <paramref name="entries"/> (comma-joined entry JSON).</summary>
    public static Task WritePageAsync(HttpContext context, string entries)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync($"{{\"entries\":[{entries}],\"next_cursor\":\"0\",\"has_more\":false,\"keys_version\":1}}", context.RequestAborted);
    }

    /// <summary>
    /// Writes <paramref name="prefix"/>, then 'x' in 64 KiB chunks until <paramref name="limitBytes"/>
    /// or until the client hangs up; returns how many bytes were written.
    /// </summary>
    public static async Task<long> WriteEndlessAsync(HttpContext context, string prefix, long limitBytes)
    {
        byte[] chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
        long written = 0;
        try
        {
            await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(prefix), context.RequestAborted);
            while (written < limitBytes && !context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                written += chunk.Length;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }

        return written;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Counts the response-body bytes the client actually read through it.</summary>
public sealed class ReadCountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private long _read;

    public long BytesRead => Interlocked.Read(ref _read);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var inner = response.Content;
        var counted = new StreamContent(new CountingStream(await inner.ReadAsStreamAsync(cancellationToken), this));
        foreach (var header in inner.Headers)
        {
            counted.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = counted;
        return response;
    }

    private sealed class CountingStream(Stream inner, ReadCountingHandler owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            Interlocked.Add(ref owner._read, read);
            return read;
        }
    }
}
